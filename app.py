"""Entry point for `flask --app app`, gunicorn (`app:app`) and Celery (`app.celery_app`)."""

from roster import create_app

app = create_app()
celery_app = app.extensions["celery"]
