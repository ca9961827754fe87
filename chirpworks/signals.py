"""Project-wide signals: how lower apps tell higher ones that data changed without importing them.

``entities_changed`` (``kind``, ``ids``) is the one way the search index and insights hear of a
change. Writers that bypass ``post_save`` (bulk ``update()``, ``bulk_update``, ``bulk_create``)
send it through ``entities_changed_send``; the search app's save/delete receivers translate every
``save()``/``delete()`` of an indexed model into it. Receivers in higher apps (search, insights,
meetings' tracker rescans) act on the kinds they care about after the transaction commits.

``buyers_merged`` lets the apps that keep copies of buyer ids move them during a merge; each
receiver returns ``{name: rows moved}`` for the merge's audit record.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

KIND_MEETING = "meeting"
KIND_ACTION = "action"
KIND_BUYER = "buyer"
KIND_PRODUCT = "product"
KIND_SELLER = "seller"
KIND_MOBILE_CALL = "mobile_call"

entities_changed = Signal()  # kwargs: kind: str, ids: list[str] (sorted, unique)

# Bulk writers of calls (meetings, app calls: bulk_create and update() send no post_save) send the
# sellers and start times they wrote; the daily rollups (``rollups.signals``) refresh those days.
calls_written = Signal()  # kwargs: seller_times: list[tuple[uuid.UUID, datetime]]

# The buyer book (agencies) changes rows of apps above it through these (it cannot import them):
# ``buyers_merged`` (``agency_id``, ``kept_id``, ``merged_ids``), sent inside the merge's
# transaction: each receiver moves its rows of the merged buyers to the kept one and returns
# ``{name: rows moved}`` for ``BuyerMerge.moved``.
buyers_merged = Signal()
# ``buyers_visibility_changed`` (``buyer_ids``, ``phones``): buyers were hidden, shown or merged,
# so search re-indexes what it shows of them (profiles, meetings, actions, unlinked app calls).
buyers_visibility_changed = Signal()


def entities_changed_send(*, sender: Any, kind: str, ids: Iterable[uuid.UUID | str]) -> None:
    """Tell every receiver these entities changed (ids may be a queryset: it is read once)."""
    entities_changed.send(sender=sender, kind=kind, ids=sorted({str(i) for i in ids}))


def buyers_merged_send(
    *, sender: Any, agency_id: uuid.UUID, kept_id: uuid.UUID, merged_ids: list[uuid.UUID]
) -> dict[str, int]:
    """Ask the receivers to move their rows to the kept buyer; what each moved, by name."""
    moved: dict[str, int] = {}
    for _, counts in buyers_merged.send(
        sender=sender, agency_id=agency_id, kept_id=kept_id, merged_ids=merged_ids
    ):
        moved.update(counts or {})
    return moved
