"""Outgoing email: messages rendered from templates, sent once their change has committed."""
