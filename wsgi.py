"""The gunicorn target: `gunicorn wsgi:app`."""

from maintenance import create_app

app = create_app()
