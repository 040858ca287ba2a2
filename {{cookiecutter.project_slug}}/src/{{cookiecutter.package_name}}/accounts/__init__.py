"""The account lifecycle over email: verification, password reset and email change."""
