"""Celery entry point: ``celery -A celery_worker worker`` / ``beat``."""

from omd_gov import create_app
from omd_gov.tasking.celery_app import celery_app_for

flask_app = create_app()
celery_app = celery_app_for(flask_app)
