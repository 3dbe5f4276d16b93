"""Unit tests of the integration's modules that need no Home Assistant instance."""
