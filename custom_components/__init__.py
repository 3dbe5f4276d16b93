"""Custom integrations: Hearth."""
