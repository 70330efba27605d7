"""Alert payload formats: the GeoJSON Feature inside the Standard Webhooks envelope, and CAP 1.2 XML."""
