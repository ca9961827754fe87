"""Demo data for `make run`: an agency with an admin, a manager with two sellers, and products.

Idempotent: running it again changes nothing that already exists.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency
from agencies.services import agency_create
from products.models import Product
from products.services import product_create
from sellers.models import Role, Seller
from sellers.services import seller_create

DEMO_PASSWORD = "chirpworks-demo"  # noqa: S105  (documented demo login)
AGENCY = "SecureLife Insurance"
PRODUCTS = [
    (
        "Term Shield",
        "Term life insurance",
        [{"name": "critical illness rider"}, {"name": "return of premium"}],
    ),
    (
        "Health Plus Family",
        "Family floater health insurance",
        [{"name": "cashless hospitals"}, {"name": "maternity cover"}],
    ),
    (
        "Motor Secure",
        "Car insurance",
        [{"name": "zero depreciation"}, {"name": "roadside assistance"}],
    ),
]
PEOPLE = [
    # email, name, phone, role, manager email
    ("admin@securelife.example", "Asha Admin", "+919822200100", Role.ADMIN, None),
    ("manager@securelife.example", "Vikram Manager", "+919822200101", Role.MANAGER, None),
    ("priya@securelife.example", "Priya Shah", "+919822200001", Role.USER, "manager"),
    ("rahul@securelife.example", "Rahul Verma", "+919822200002", Role.USER, "manager"),
]
STAFF_EMAIL = "ops@chirpworks.example"


class Command(BaseCommand):
    help = "Load the demo agency, its people and products (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        agency = Agency.objects.filter(name=AGENCY).first() or agency_create(
            name=AGENCY,
            description="Life, health and motor insurance for families across India.",
        )
        for name, description, features in PRODUCTS:
            if not Product.objects.filter(agency=agency, name=name).exists():
                product_create(agency=agency, name=name, description=description, features=features)

        by_email: dict[str, Seller] = {}
        for email, name, phone, role, _ in PEOPLE:
            by_email[email] = Seller.objects.filter(email=email).first() or seller_create(
                agency=agency,
                email=email,
                name=name,
                phone=phone,
                role=role,
                password=DEMO_PASSWORD,
            )
        manager = by_email["manager@securelife.example"]
        for email, *_, manager_key in PEOPLE:
            seller = by_email[email]
            if manager_key and seller.manager_id is None:
                seller.manager = manager
                seller.save(update_fields=["manager", "updated_at"])

        if not Seller.objects.filter(email=STAFF_EMAIL).exists():
            Seller.objects.create_superuser(STAFF_EMAIL, DEMO_PASSWORD, name="ChirpWorks Ops")

        self.stdout.write(
            f"Demo ready: agency {agency.name!r}, {len(PEOPLE)} people and {len(PRODUCTS)} "
            f"products; every demo login uses the password {DEMO_PASSWORD!r}."
        )
