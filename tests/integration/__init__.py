"""Tests of the Hearth integration inside Home Assistant's test harness."""
