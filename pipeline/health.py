"""The pipeline's check in ``/api/health/`` (registered in ``PipelineConfig.ready``)."""

from typing import Any


def check_speech_model() -> dict[str, Any]:
    from pipeline.transcription import get_transcription_provider  # late: numpy, PyAV

    provider = get_transcription_provider()
    return provider.health() if hasattr(provider, "health") else {"provider": provider.name}
