"""What call ingestion announces, so that the apps above ``calls`` act on it without ``calls``
importing them (reconciliation lives in ``meetings``). New rows also send ``calls_written`` and
``entities_changed`` (``chirpworks.signals``), like every bulk writer.

Every signal is sent synchronously inside the writer's transaction: a receiver's writes and
``on_commit`` callbacks belong to that transaction, exactly as if the writer had made them.
"""

from django.dispatch import Signal

# A seller has calls that reconciliation should look at once this commits: kwargs ``seller_id``.
calls_need_reconciling = Signal()

# An Exotel call's recording is now stored: kwargs ``call`` (the ExotelCall, saved).
exotel_recording_stored = Signal()
