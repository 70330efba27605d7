"""firewatch."""
