"""Running the service: health checks, metrics, log lines, the pre-deploy check, periodic jobs."""
