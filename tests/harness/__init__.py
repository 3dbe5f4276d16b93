"""The test harness shared by several test directories.

Plain modules, imported by conftests and tests alike; the conftests hold
only fixtures and hooks.
"""
