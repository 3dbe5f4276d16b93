"""Tests of the thin Hearth client in custom_components/hearth/api."""
