"""User accounts and roles."""
