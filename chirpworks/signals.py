"""Project-wide signals: how lower apps tell higher ones that data changed without importing them.

``entities_changed`` is sent by writers that bypass ``post_save`` (bulk ``update()`` and
``bulk_create``) with ``kind`` (``"meeting"``, ``"action"``, ``"buyer"``, ``"app_call"``) and the
changed rows' ``ids``; receivers in higher apps (insights) refresh what they derive from them.
"""

from django.dispatch import Signal

entities_changed = Signal()  # kwargs: kind: str, ids: list[uuid.UUID]

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
