"""Pipeline metrics observed by the workers (exported by ``GET /metrics``)."""

from prometheus_client import Counter, Histogram

JOB_STAGE_SECONDS = Histogram(
    "chirpworks_job_stage_seconds",
    "Duration of one stage of a processing job",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
JOBS_FINISHED = Counter(
    "chirpworks_jobs_finished", "Processing jobs finished, by outcome", ["outcome"]
)


def jobs_observe(*, outcome: str, timings: dict[str, float] | None = None) -> None:
    """Record one job's outcome and the seconds each of its stages took."""
    JOBS_FINISHED.labels(outcome=outcome).inc()
    for stage, seconds in (timings or {}).items():
        JOB_STAGE_SECONDS.labels(stage=stage).observe(seconds)
