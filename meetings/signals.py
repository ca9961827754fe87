"""How the meetings app asks for processing without importing the pipeline above it.

Services send these once their transaction has committed (``transaction.on_commit``); the
``pipeline`` app connects the receivers that queue its Celery tasks (``pipeline.receivers``).
"""

from django.dispatch import Signal

# kwargs: job_ids: list[str], jobs in init to transcribe and analyse. Each receiver returns the ids
# it managed to queue (a broker outage leaves the rest for the beat sweep).
jobs_process_requested = Signal()
# kwargs: job_ids: list[str], jobs whose stored transcript is to be analysed again.
jobs_reanalysis_requested = Signal()
