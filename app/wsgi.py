"""The WSGI entry point (Zappa's app_function is app.wsgi.app)."""

from app import create_app

app = create_app()
