"""Delivery channels, one module per kind (``webhook``: HTTP POST with Standard Webhooks signatures)."""
