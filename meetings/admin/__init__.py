"""The meetings app's admin: one module per model (``meeting``, ``job``, ``performance``)."""

from meetings.admin import job, meeting, performance  # noqa: F401  (register the model admins)
from meetings.reconciliation import admin as reconciliation_admin  # noqa: F401  (calls' action)
