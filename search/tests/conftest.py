"""Fixtures the search tests share with the apps they index."""

from agencies.tests.conftest import book  # noqa: F401  (the buyer book's cast)
