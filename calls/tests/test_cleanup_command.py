from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from model_bakery import baker

from calls.models import AppCallStatus, ExotelCall, MobileAppCall

pytestmark = pytest.mark.django_db


def test_cleanup_calls_dry_run_then_delete(agency, seller, capsys):
    old = timezone.now() - timedelta(days=45)
    baker.make(ExotelCall, agency=agency, seller=seller, start_time=old, created_at=old)
    stale = baker.make(
        MobileAppCall,
        seller=seller,
        status=AppCallStatus.PROCESSING,
        start_time=old,
        end_time=old,
    )
    MobileAppCall.objects.filter(pk=stale.pk).update(created_at=old)
    ExotelCall.objects.update(created_at=old)
    missed = baker.make(
        MobileAppCall, seller=seller, status=AppCallStatus.MISSED, start_time=old, end_time=old
    )
    MobileAppCall.objects.filter(pk=missed.pk).update(created_at=old)

    call_command("cleanup_calls", "--dry-run")
    out = capsys.readouterr().out
    assert out.startswith("Would delete 1 app calls and 1 Exotel calls")
    assert ExotelCall.objects.count() == 1

    call_command("cleanup_calls")
    assert capsys.readouterr().out.startswith("Deleted 1 app calls and 1 Exotel calls")
    assert not ExotelCall.objects.exists()
    assert list(MobileAppCall.objects.all()) == [missed]  # missed calls feed call history
