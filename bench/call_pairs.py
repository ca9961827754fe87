"""The benches' matching calls: one app call log row and its Exotel call, 2 s apart."""

from datetime import datetime, timedelta


def call_pair(*, agency, seller, index: int, begin: datetime, call_sid: str):
    """(MobileAppCall, ExotelCall) of one answered 90 s outgoing call to a buyer of its own."""
    from calls.models import AppCallStatus, CallType, ExotelCall, ExotelStatus, MobileAppCall

    buyer = f"+9196{index:08d}"
    app = MobileAppCall(
        seller=seller,
        app_call_id=f"rec-{index}",
        buyer_number=buyer,
        seller_number=seller.phone,
        call_type=CallType.OUTGOING,
        start_time=begin,
        end_time=begin + timedelta(seconds=90),
        duration=90,
        status=AppCallStatus.PROCESSING,
    )
    exotel = ExotelCall(
        call_sid=call_sid,
        agency=agency,
        seller=seller,
        from_number=seller.phone,
        to_number=buyer,
        buyer_number=buyer,
        status=ExotelStatus.COMPLETED,
        start_time=begin + timedelta(seconds=2),
        end_time=begin + timedelta(seconds=91),
        duration=89,
        recording=f"recordings/bench/{index}.mp3",
        recording_status="stored",
    )
    return app, exotel
