"""Cross-cutting parts: settings, database, security, errors, logging, rate limits."""
