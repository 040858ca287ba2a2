"""Two-factor login: TOTP authenticators (RFC 6238) and recovery codes."""
