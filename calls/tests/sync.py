from calls.serializers import app_call_items_validate
from calls.sync_services import AppCallSyncResult
from calls.sync_services import app_calls_sync as app_calls_store
from sellers.models import Seller


def app_calls_sync(*, seller: Seller, items: list) -> AppCallSyncResult:
    """The app's call-log sync as its endpoint runs it: the raw items validated, then stored."""
    calls = app_call_items_validate(seller=seller, items=items)
    return app_calls_store(seller=seller, calls=calls)
