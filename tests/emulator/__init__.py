"""Smoke tests of emulator-only behaviour (admin API, rate windows, OAuth, faults)."""
