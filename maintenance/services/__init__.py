"""The domain: what the service does, one module (or package) per area; views call these."""
