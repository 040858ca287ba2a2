"""An example resource owned by users."""
