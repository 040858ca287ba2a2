"""Registration, login and tokens."""
