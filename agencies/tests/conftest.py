"""The buyer book's cast: an agency with every role, a buyer of a seller, one of another team."""

from dataclasses import dataclass

import pytest

from agencies.models import Agency, Buyer
from meetings.models import Meeting
from meetings.tests.factories import ist, make_buyer, make_meeting
from sellers.models import Role, Seller


@dataclass
class Book:
    agency: Agency
    admin: Seller
    manager: Seller
    seller: Seller  # managed by ``manager``
    tara: Seller  # managed by ``manager`` too
    uma: Seller  # nobody's report
    guest: Seller
    bea: Seller  # another agency's seller
    buyer: Buyer  # the seller's
    meeting: Meeting  # the seller's call with ``buyer``
    umas_buyer: Buyer
    beas_buyer: Buyer


@pytest.fixture
def book(agency, other_agency, admin, manager, seller, make_seller) -> Book:
    tara = make_seller(agency, name="Tara Seller", manager=manager)
    uma = make_seller(agency, name="Uma Seller")
    guest = make_seller(agency, name="Gus Guest", role=Role.GUEST)
    bea = make_seller(other_agency, name="Bea Other")
    buyer = make_buyer(
        agency, name="Bina Shah", email="bina@example.com", company_name="Shah Builders"
    )
    meeting = make_meeting(seller, buyer=buyer, start=ist(2026, 11, 10, 10))
    Buyer.objects.filter(pk=buyer.pk).update(
        last_contacted_by=seller, last_contacted_at=ist(2026, 11, 10, 10)
    )
    buyer.refresh_from_db()
    umas_buyer = make_buyer(agency, name="Umesh", last_contacted_by=uma)
    make_meeting(uma, buyer=umas_buyer, start=ist(2026, 11, 11, 10))
    beas_buyer = make_buyer(other_agency, name="Other Buyer", last_contacted_by=bea)
    make_meeting(bea, buyer=beas_buyer, start=ist(2026, 11, 11, 10))
    return Book(
        agency=agency,
        admin=admin,
        manager=manager,
        seller=seller,
        tara=tara,
        uma=uma,
        guest=guest,
        bea=bea,
        buyer=buyer,
        meeting=meeting,
        umas_buyer=umas_buyer,
        beas_buyer=beas_buyer,
    )
