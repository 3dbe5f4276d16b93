"""Benchmarks of the Hearth client and integration."""
