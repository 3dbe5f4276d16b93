"""Developer scripts of the Hearth project."""
