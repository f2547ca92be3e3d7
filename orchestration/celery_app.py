"""The Celery app the castforge workers run (``celery -A orchestration.celery_app worker -Q gpu``): dagster-celery's
step task on the broker and result backend of orchestration/executors.py, so that the runs submitting steps and
the workers executing them agree. Imported only by workers (it needs .venv-cluster).

Each step is its own execution on a worker, so a worker keeps the models it built for the next step
(CASTFORGE_KEEP_MODELS, default 4 here: resources/model_cache.py) instead of loading the weights for every film."""

import os

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from orchestration.executors import celery_app_args

os.environ.setdefault("CASTFORGE_KEEP_MODELS", "4")   # inherited by the worker's pool processes

app = make_app(celery_app_args())
execute_plan = create_task(app)
