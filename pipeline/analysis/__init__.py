"""Analysis providers: turn a transcript into the contract's analysis (§4.7) and scores (§4.8).

The provider is chosen by ``settings.ANALYSIS_PROVIDER`` (a dotted path); see ``base.py`` for the
interface and the exact shape of what ``analyse`` returns.
"""

from functools import cache

from django.conf import settings

from pipeline.analysis.base import AnalysisContext, AnalysisProvider, InvalidAnalysis
from pipeline.providers import provider_load

__all__ = ["AnalysisContext", "AnalysisProvider", "InvalidAnalysis", "get_analysis_provider"]


@cache
def _provider(path: str) -> AnalysisProvider:
    return provider_load(path)


def get_analysis_provider() -> AnalysisProvider:
    """One provider instance per worker process (models and clients load once)."""
    return _provider(settings.ANALYSIS_PROVIDER)
