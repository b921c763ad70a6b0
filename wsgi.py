"""The gunicorn target: `gunicorn wsgi:app`."""

from maintenance import create_app
from maintenance.ops.check import require_valid_settings

app = create_app()
# A worker that would send every message with a broken From header does not boot.
require_valid_settings(app.config)
