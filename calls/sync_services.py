"""Writes of the app's call-log sync: ``MobileAppCall`` rows, idempotent by ``appCallId``.

Every sync and reconciliation of a seller runs under a lock on that seller's row, so two workers
never turn one call into two meetings; what arrived is announced through ``calls.signals``.
"""

from dataclasses import dataclass, field

from django.db import transaction

from calls.models import AppCallStatus, CallType, MobileAppCall
from calls.signals import calls_need_reconciling
from chirpworks.bulk import bulk_insert
from chirpworks.signals import KIND_MOBILE_CALL, calls_written, entities_changed_send
from sellers.models import Seller


def calculate_call_status(*, call_type: str, duration: int) -> str:
    """The contract's ``calculate_call_status``."""
    if call_type == CallType.MISSED:
        return AppCallStatus.MISSED
    if call_type == CallType.REJECTED:
        return AppCallStatus.REJECTED
    if duration == 0 and call_type == CallType.INCOMING:
        return AppCallStatus.MISSED
    if duration == 0 and call_type == CallType.OUTGOING:
        return AppCallStatus.NOT_ANSWERED
    return AppCallStatus.PROCESSING


@dataclass
class AppCallSyncResult:
    results: list[dict] = field(default_factory=list)
    created: int = 0
    duplicate: int = 0
    rejected: int = 0


def app_calls_sync(*, seller: Seller, calls: list[dict]) -> AppCallSyncResult:
    """Store a validated batch of the app's call-log items for ``seller``, in one transaction.

    ``calls`` are the items as ``calls.serializers.app_call_items_validate`` returns them, in the
    batch's order (each result's ``index``). A re-sent ``appCallId`` is a no-op. Rows are written
    with bulk queries and reconciliation is queued once they commit.
    """
    result = AppCallSyncResult()
    with transaction.atomic():
        # Serialises this seller's syncs and reconciliations, so a retry racing itself is safe.
        Seller.objects.select_for_update().filter(pk=seller.pk).values_list("pk").first()
        ids = {data["app_call_id"] for data in calls}
        existing = set(
            MobileAppCall.objects.filter(seller=seller, app_call_id__in=ids).values_list(
                "app_call_id", flat=True
            )
        )
        new_calls: list[MobileAppCall] = []
        for index, data in enumerate(calls):
            app_call_id = data["app_call_id"]
            if app_call_id in existing:
                result.duplicate += 1
                result.results.append(
                    {"index": index, "appCallId": app_call_id, "status": "duplicate"}
                )
                continue
            existing.add(app_call_id)
            new_calls.append(
                MobileAppCall(
                    seller=seller,
                    status=calculate_call_status(
                        call_type=data["call_type"], duration=data["duration"]
                    ),
                    **data,
                )
            )
            result.created += 1
            result.results.append({"index": index, "appCallId": app_call_id, "status": "created"})
        bulk_insert(MobileAppCall, new_calls)  # no conflict: the seller lock is held
        calls_written.send(
            MobileAppCall, seller_times=[(seller.pk, c.start_time) for c in new_calls]
        )
        entities_changed_send(
            sender=MobileAppCall, kind=KIND_MOBILE_CALL, ids=[c.pk for c in new_calls]
        )
        if any(call.status == AppCallStatus.PROCESSING for call in new_calls):
            calls_need_reconciling.send(sender=MobileAppCall, seller_id=seller.pk)
    return result
