"""What meetings does when ``calls`` announces arrivals (``calls.signals``), in the sender's
transaction: queue reconciliation on commit, give a meeting its late recording.
"""

from chirpworks.outages import task_send_on_commit
from meetings.services import meetings_attach_recordings


def _reconcile_on_commit(sender, *, seller_id, **kwargs) -> None:
    """If the broker is down, the periodic reconciliation (beat) picks the rows up instead."""
    from meetings.reconciliation.tasks import reconcile_calls  # late: tasks import services

    task_send_on_commit(reconcile_calls, str(seller_id))


def _recording_stored(sender, *, call, **kwargs) -> None:
    if call.meeting_id is not None:
        # Already part of a meeting (matched before its recording came): it gets it now.
        meetings_attach_recordings(recordings={call.meeting_id: call.recording.name})
    elif call.seller_id is not None:
        _reconcile_on_commit(sender, seller_id=call.seller_id)


def connect() -> None:
    from calls.signals import calls_need_reconciling, exotel_recording_stored

    calls_need_reconciling.connect(_reconcile_on_commit, dispatch_uid="meetings-reconcile")
    exotel_recording_stored.connect(_recording_stored, dispatch_uid="meetings-late-recording")
