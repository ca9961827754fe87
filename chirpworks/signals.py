"""Project-wide signals: how lower apps tell higher ones that data changed without importing them.

``entities_changed`` is sent by writers that bypass ``post_save`` (bulk ``update()`` and
``bulk_create``) with ``kind`` (``"meeting"``, ``"action"``, ``"buyer"``, ``"app_call"``) and the
changed rows' ``ids``; receivers in higher apps (insights) refresh what they derive from them.
"""

from django.dispatch import Signal

entities_changed = Signal()  # kwargs: kind: str, ids: list[uuid.UUID]
