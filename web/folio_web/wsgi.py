"""WSGI entry point for Gunicorn and `flask --app folio_web.wsgi`."""

from folio_web import create_app

app = create_app()
