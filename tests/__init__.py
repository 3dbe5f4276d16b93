"""Tests of the Hearth integration, its client and its emulator."""
