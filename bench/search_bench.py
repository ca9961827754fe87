"""Search benchmark: one agency with 100,000 indexed documents, offline WordLlama embeddings.

Reports search latency (p50/p95/max, as an admin who sees everything and as a manager and a
seller behind the access rules; through the service and through the HTTP API), the first search
after an index change, and the time to index a typical meeting (a 30-minute transcript plus its
analysis). Targets: search p95 < 100 ms, indexing a meeting < 200 ms.

    .venv/bin/python bench/search_bench.py                      # a throwaway SQLite file
    DATABASE_URL=postgres://... .venv/bin/python bench/search_bench.py --docs 100000

With DATABASE_URL the bench agency is created in that database and deleted afterwards (unless
--keep). Documents are generated from templates, embedded in batches and bulk-inserted.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "which buyers asked for a discount",
    "customer worried about the monthly premium",
    "who wants a site visit on the weekend",
    "covered parking and lift",
    "home loan already approved by the bank",
    "school near the apartment for kids",
    "follow up with the brochure",
    "competitor offered a cheaper plan",
    "buyer wants to talk to his wife before deciding",
    "send the price list on whatsapp",
    "maintenance charges too high",
    "possession date delayed",
    "interested in the three bedroom flat",
    "asked about the gold plan features",
    "missed call from the buyer yesterday",
    "payment plan with monthly installments",
    "tower XR7Q brochure",
    "buyer not happy with the previous agent",
    "needs a ground floor unit for parents",
    "negotiation on the final price",
]
TOPICS = [
    ("price", "The {p} is too expensive, can you reduce the price or give a discount?"),
    ("visit", "Let us schedule a site visit on {day} with my family."),
    ("parking", "Does the flat have covered parking and a lift to the basement?"),
    ("loan", "My bank approved a home loan of {n} lakh, paperwork is quick."),
    ("school", "We need a good school near the apartment for our kids."),
    ("brochure", "Please send the brochure and the price list of {p} on WhatsApp."),
    ("competitor", "Another builder offered a cheaper plan with free maintenance."),
    ("family", "I need to discuss with my wife before deciding on the {p}."),
    ("maintenance", "The maintenance charges of {n} rupees a month are too high."),
    ("possession", "When is possession? The last project was delayed by a year."),
    ("bedroom", "We are interested in the three bedroom flat facing the park."),
    ("plan", "Tell me about the {p} features and the payment plan in installments."),
]
PRODUCTS = ["Gold Plan", "Silver Plan", "Platinum Villa", "Skyline Tower", "Green Acres"]
DAYS = ["Saturday", "Sunday", "Monday evening", "next week"]
TYPE_MIX = [
    ("meeting.transcript", 60),
    ("meeting.key_point", 10),
    ("meeting.qa", 10),
    ("meeting.fact", 8),
    ("meeting.structured", 5),
    ("action.item", 4),
    ("buyer.profile", 2),
    ("mobile.call", 1),
]


def setup_django(database_url: str | None) -> None:
    if not database_url:
        path = ROOT / "var" / "search-bench.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chirpworks.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db.models.signals import post_delete, post_save

    from search.receivers import SOURCES

    for model in SOURCES:  # the bench indexes explicitly; no tasks may be queued
        post_save.disconnect(sender=model, dispatch_uid=f"search-save-{model.__name__}")
        post_delete.disconnect(sender=model, dispatch_uid=f"search-delete-{model.__name__}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms: list[float]) -> str:
    return (
        f"p50 {statistics.median(values_ms):6.1f} ms  p95 {percentile(values_ms, 95):6.1f} ms  "
        f"max {max(values_ms):6.1f} ms  (n={len(values_ms)})"
    )


def sentence(rng: random.Random) -> str:
    _, template = rng.choice(TOPICS)
    return template.format(p=rng.choice(PRODUCTS), day=rng.choice(DAYS), n=rng.randint(5, 90))


def make_people(agency, rng):
    from django.contrib.auth.hashers import make_password

    from agencies.models import Buyer
    from meetings.models import Meeting
    from sellers.models import Role, Seller

    def seller(role, name, manager=None):
        phone = f"+9198{rng.randint(10**7, 10**8 - 1)}"
        return Seller(
            email=f"{uuid.uuid4().hex[:12]}@bench.local",
            name=name,
            phone=phone,
            role=role,
            agency=agency,
            manager=manager,
            password=make_password(None),  # unusable: bench sellers never log in
        )

    admin, manager = seller(Role.ADMIN, "Bench Admin"), seller(Role.MANAGER, "Bench Manager")
    Seller.objects.bulk_create([admin, manager])
    team = [seller(Role.USER, f"Seller {i}", manager if i < 10 else None) for i in range(20)]
    Seller.objects.bulk_create(team)
    buyers = Buyer.objects.bulk_create(
        Buyer(agency=agency, phone=f"+9197{i:08d}", name=f"Buyer {i}") for i in range(2000)
    )
    from django.utils import timezone

    now = timezone.now()
    meetings = Meeting.objects.bulk_create(
        (
            Meeting(
                agency=agency,
                seller=rng.choice(team),
                buyer=rng.choice(buyers),
                start_time=now - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
                title="Bench call",
            )
            for _ in range(5000)
        ),
        batch_size=1000,
    )
    return admin, manager, team, buyers, meetings


def generate_documents(agency, meetings, count, rng) -> float:
    from search.embeddings import get_embedding_provider, vector_to_bytes
    from search.models import SearchDocument

    provider = get_embedding_provider()
    types = [t for t, weight in TYPE_MIX for _ in range(weight)]
    started = time.perf_counter()
    batch = 5000
    for start in range(0, count, batch):
        rows = []
        size = min(batch, count - start)
        texts = []
        for _ in range(size):
            doc_type = rng.choice(types)
            words = 3 if doc_type == "meeting.transcript" else 1
            texts.append(" ".join(sentence(rng) for _ in range(words)))
        vectors = provider.embed(texts)
        for text, vector in zip(texts, vectors, strict=True):
            meeting = rng.choice(meetings)
            doc_type = rng.choice(types)
            rows.append(
                SearchDocument(
                    agency=agency,
                    type=doc_type,
                    entity_kind="meeting",
                    entity_id=meeting.pk,
                    chunk=0,
                    text=text,
                    meta={"title": meeting.title},
                    meeting_id=meeting.pk,
                    buyer_id=meeting.buyer_id,
                    seller_id=meeting.seller_id,
                    occurred_at=meeting.start_time,
                    embedding=vector_to_bytes(vector),
                    embedding_model=provider.model_id,
                )
            )
        SearchDocument.objects.bulk_create(rows, batch_size=1000)
        done = start + size
        print(f"\r  generated {done:>7}/{count} documents", end="", flush=True)
    print()
    return time.perf_counter() - started


def typical_meeting(seller, buyer, rng):
    """A 30-minute call: 360 transcript segments (~4,000 words) and a full analysis."""
    from django.utils import timezone

    from meetings.models import Meeting

    segments = []
    for index in range(360):
        role = "seller" if index % 2 else "buyer"
        segments.append(
            {
                "speaker": role,
                "role": role,
                "text": sentence(rng),
                "translation": None,
                "confidence": 0.9,
                "start": index * 5.0,
                "end": index * 5.0 + 5,
            }
        )
    return Meeting.objects.create(
        agency=seller.agency,
        seller=seller,
        buyer=buyer,
        start_time=timezone.now(),
        end_time=timezone.now() + timedelta(minutes=30),
        title="Typical meeting",
        transcription=segments,
        summary={"bullets": [sentence(rng) for _ in range(5)]},
        key_discussion_points=[sentence(rng) for _ in range(6)],
        qa_pairs=[{"question": sentence(rng), "answer": sentence(rng)} for _ in range(6)],
        facts=[{"subject": "Buyer", "predicate": "wants", "object": p} for p in PRODUCTS],
        detected_products=[{"product_name": p} for p in PRODUCTS[:2]],
        risks=[{"risk": "price", "risk_signal": "too expensive", "risk_reasoning": "asked"}],
        deal_stage={"deal_stage": "Negotiation / Approval"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the bench agency")
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL"))

    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient
    from rest_framework.throttling import ScopedRateThrottle

    from agencies.models import Agency
    from meetings.models import Meeting
    from search.embeddings import get_embedding_provider
    from search.index import search_index_entity
    from search.models import SearchDocument
    from search.retrieval import search_documents, search_scope_for
    from sellers.models import Seller
    from sellers.services import tokens_issue

    rng = random.Random(7)  # noqa: S311 (reproducible synthetic data, not security)
    print(f"Database: {connection.vendor}; embeddings: {get_embedding_provider().model_id}")
    started = time.perf_counter()
    get_embedding_provider().embed(["warm up"])
    print(f"  WordLlama load: {time.perf_counter() - started:.2f} s")
    agency = Agency.objects.create(name=f"Search bench {uuid.uuid4().hex[:8]}")
    try:
        admin, manager, team, buyers, meetings = make_people(agency, rng)
        seconds = generate_documents(agency, meetings, args.docs, rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # what autovacuum does after a bulk load
                cursor.execute("ANALYZE meetings_searchdocument")
        total = SearchDocument.objects.filter(agency=agency).count()
        print(f"  {total} documents embedded and inserted in {seconds:.1f} s")

        started = time.perf_counter()
        search_documents(scope=search_scope_for(actor=admin), query="warm up", k=8)
        cold = (time.perf_counter() - started) * 1000
        print(f"  first search (loads {total} vectors into this worker): {cold:.0f} ms")

        results = {}
        for label, actor in (("admin", admin), ("manager", manager), ("seller", team[0])):
            timings = []
            for index in range(args.queries):
                question = QUESTIONS[index % len(QUESTIONS)]
                started = time.perf_counter()
                scope = search_scope_for(actor=actor)
                hits = search_documents(scope=scope, query=question, k=8)
                timings.append((time.perf_counter() - started) * 1000)
                if not hits and label == "admin":
                    raise SystemExit(f"No results for {question!r}")
            results[label] = timings

        ScopedRateThrottle.THROTTLE_RATES["search"] = "1000000/min"
        settings.ALLOWED_HOSTS = ["*"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(seller=manager).access}")
        api = []
        for index in range(args.queries):
            started = time.perf_counter()
            response = client.post(
                "/api/search/", {"query": QUESTIONS[index % len(QUESTIONS)]}, format="json"
            )
            api.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"API answered {response.status_code}: {response.content!r}")

        meeting = typical_meeting(team[0], buyers[0], rng)
        indexing, after_change = [], []
        for iteration in range(21):
            meeting.title = f"Typical meeting {iteration}"
            Meeting.objects.filter(pk=meeting.pk).update(title=meeting.title)
            started = time.perf_counter()
            outcome = search_index_entity(kind="meeting", entity_id=meeting.pk)
            elapsed = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            search_documents(scope=search_scope_for(actor=admin), query="discount", k=8)
            if iteration:  # the first run also loads the typical meeting's rows
                indexing.append(elapsed)
                after_change.append((time.perf_counter() - started) * 1000)
        print(f"  typical meeting: {outcome.written} documents")

        print()
        print(f"Search over {total} documents, k=8, hybrid (vector + {connection.vendor} FTS):")
        for label, timings in results.items():
            print(f"  service, as {label:<8} {summary(timings)}")
        print(f"  HTTP API, as manager  {summary(api)}")
        print(f"  first search after an index change  {summary(after_change)}")
        print(f"Index a typical meeting ({outcome.written} docs): {summary(indexing)}")
        p95_search = max(percentile(t, 95) for t in [*results.values(), api])
        p95_index = percentile(indexing, 95)
        verdict = "PASS" if p95_search < 100 and p95_index < 200 else "FAIL"
        print(
            f"{verdict}: search p95 {p95_search:.1f} ms (target < 100), "
            f"index p95 {p95_index:.1f} ms (target < 200)"
        )
    finally:
        if not args.keep:
            SearchDocument.objects.filter(agency=agency)._raw_delete(SearchDocument.objects.db)
            Meeting.objects.filter(agency=agency).delete()
            agency.buyers.all().delete()
            Seller.objects.filter(agency=agency).update(manager=None)
            Seller.objects.filter(agency=agency).delete()
            agency.delete()


if __name__ == "__main__":
    main()
