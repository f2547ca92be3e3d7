"""The Celery app the castforge workers run (``celery -A orchestration.celery_app worker -Q gpu``): dagster-celery's
step task on the broker and result backend of orchestration/executors.py, so that the runs submitting steps and
the workers executing them agree. Imported only by workers (it needs .venv-cluster)."""

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from orchestration.executors import celery_app_args

app = make_app(celery_app_args())
execute_plan = create_task(app)
