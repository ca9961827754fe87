"""Indexing: every source change re-indexes exactly that entity, and nothing else."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from model_bakery import baker

from actions.models import Action
from calls.models import AppCallStatus, CallType, MobileAppCall
from meetings.tests.meeting_factories import make_buyer, make_meeting, transcript
from products.models import Product
from search.embeddings import get_embedding_provider, vector_to_bytes
from search.index import search_index_entity, search_index_rebuild_agency
from search.models import SearchDocument, SearchIndexVersion

pytestmark = pytest.mark.django_db


def _documents() -> dict[uuid.UUID, tuple[str, uuid.UUID, str]]:
    return {
        pk: (kind, entity_id, text)
        for pk, kind, entity_id, text in SearchDocument.objects.values_list(
            "id", "entity_kind", "entity_id", "text"
        )
    }


def _app_call(seller, **fields):
    start = fields.pop("start", timezone.now() - timedelta(hours=1))
    fields.setdefault("status", AppCallStatus.MISSED)
    fields.setdefault("buyer_number", "+919700099999")
    return baker.make(
        MobileAppCall,
        seller=seller,
        app_call_id=uuid.uuid4().hex,
        seller_number=seller.phone,
        call_type=CallType.INCOMING,
        start_time=start,
        end_time=start,
        duration=0,
        **fields,
    )


@pytest.fixture
def world(agency, other_agency, seller, make_seller):
    """Two agencies, each with a meeting, an action, a buyer, a product and an app call."""
    entities = {}
    for name, owner in (("a", seller), ("b", make_seller(other_agency, name="Bea Other"))):
        buyer = make_buyer(owner.agency, name=f"Buyer {name}")
        meeting = make_meeting(
            owner,
            buyer=buyer,
            start=timezone.now() - timedelta(days=1),
            summary={"bullets": [f"Discussed the {name} villa"]},
            qa_pairs=[{"question": "Is parking included?", "answer": "Yes"}],
            transcription=transcript(("buyer", f"Tell me about villa {name}.")),
        )
        action = baker.make(
            Action, meeting=meeting, seller=owner, buyer=buyer, title=f"Send brochure {name}"
        )
        product = baker.make(Product, agency=owner.agency, name=f"Villa {name}")
        call = _app_call(owner)
        entities[name] = {
            "seller": owner,
            "buyer": buyer,
            "meeting": meeting,
            "action": action,
            "product": product,
            "call": call,
        }
        search_index_rebuild_agency(agency_id=owner.agency_id)
    return entities


def _assert_only_replaced(before, after, kind, entity_id):
    """Documents of (kind, entity_id) may change; every other document is untouched."""
    others_before = {pk: v for pk, v in before.items() if (v[0], v[1]) != (kind, entity_id)}
    others_after = {pk: v for pk, v in after.items() if (v[0], v[1]) != (kind, entity_id)}
    assert others_after == others_before


def test_rebuild_indexes_every_document_type(world, settings):
    types = set(
        SearchDocument.objects.filter(agency=world["a"]["seller"].agency).values_list(
            "type", flat=True
        )
    )
    assert types == {
        "meeting.structured",
        "meeting.qa",
        "meeting.transcript",
        "action.item",
        "buyer.profile",
        "product.catalog",
        "seller.profile",
        "mobile.call",
    }
    doc = SearchDocument.objects.get(type="action.item", entity_id=world["a"]["action"].pk)
    assert doc.meeting_id == world["a"]["meeting"].pk
    assert doc.buyer_id == world["a"]["buyer"].pk
    assert doc.seller_id == world["a"]["seller"].pk
    assert len(doc.embedding) == 4 * settings.SEARCH_WORDLLAMA_DIM


def test_editing_an_action_replaces_only_its_documents(world, django_capture_on_commit_callbacks):
    before = _documents()
    action = world["a"]["action"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        action.title = "Call back about the loan"
        action.save()
    reindexes = [c for c in callbacks if "search_index_enqueue" in c.__qualname__]
    assert len(reindexes) == 1  # one re-index (insights queue their own refresh beside it)
    after = _documents()
    _assert_only_replaced(before, after, "action", action.pk)
    texts = [text for kind, entity_id, text in after.values() if entity_id == action.pk]
    assert len(texts) == 1 and "Call back about the loan" in texts[0]


def test_reindexing_actions_and_app_calls_never_deletes_other_agencies_documents(
    world, django_capture_on_commit_callbacks
):
    """Regression: the old _delete_stale_chunks deleted every action.item and mobile.call
    document of every agency on each upsert."""
    theirs = set(
        SearchDocument.objects.filter(agency=world["b"]["seller"].agency).values_list(
            "id", flat=True
        )
    )
    assert SearchDocument.objects.filter(pk__in=theirs, type="action.item").exists()
    assert SearchDocument.objects.filter(pk__in=theirs, type="mobile.call").exists()
    ours_other_action = baker.make(
        Action,
        meeting=world["a"]["meeting"],
        seller=world["a"]["seller"],
        buyer=world["a"]["buyer"],
        title="Second action",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ours_other_action.save()
        world["a"]["action"].title = "Edited"
        world["a"]["action"].save()
        world["a"]["call"].status = AppCallStatus.REJECTED
        world["a"]["call"].save()
        _app_call(world["a"]["seller"])
    remaining = set(SearchDocument.objects.filter(pk__in=theirs).values_list("id", flat=True))
    assert remaining == theirs
    # Our own other action keeps its document too (the old bug also deleted those).
    assert SearchDocument.objects.filter(entity_id=ours_other_action.pk).count() == 1


@pytest.mark.parametrize("name", ["meeting", "buyer", "product", "seller"])
def test_saving_a_source_replaces_only_its_documents(
    world, name, django_capture_on_commit_callbacks
):
    entity = world["a"][name]
    field = {"meeting": "title", "buyer": "name", "product": "name", "seller": "name"}[name]
    kind = name
    before = _documents()
    with django_capture_on_commit_callbacks(execute=True):
        setattr(entity, field, "Renamed Zircon")
        entity.save()
    after = _documents()
    _assert_only_replaced(before, after, kind, entity.pk)
    assert any(
        "Renamed Zircon" in text for k, entity_id, text in after.values() if entity_id == entity.pk
    )


def test_persisting_analysis_and_transcript_reindexes_the_meeting(
    world, django_capture_on_commit_callbacks
):
    meeting = world["a"]["meeting"]
    before = _documents()
    with django_capture_on_commit_callbacks(execute=True):
        meeting.key_discussion_points = ["Buyer wants a corner plot", "Budget is 80 lakh"]
        meeting.facts = [{"subject": "Buyer", "predicate": "owns", "object": "two cars"}]
        meeting.transcription = transcript(("seller", "word " * 300))
        meeting.save()
    after = _documents()
    _assert_only_replaced(before, after, "meeting", meeting.pk)
    types = list(
        SearchDocument.objects.filter(entity_id=meeting.pk)
        .order_by("type", "chunk")
        .values_list("type", "chunk")
    )
    assert ("meeting.key_point", 1) in types
    assert ("meeting.fact", 0) in types
    # 301 words in 120-word windows with 18 words of overlap: 3 chunks.
    assert [c for t, c in types if t == "meeting.transcript"] == [0, 1, 2]


def test_unchanged_save_writes_nothing_and_keeps_the_cache_valid(
    world, django_capture_on_commit_callbacks
):
    agency_id = world["a"]["seller"].agency_id
    version = SearchIndexVersion.objects.get(agency_id=agency_id).version
    before = _documents()
    with django_capture_on_commit_callbacks(execute=True):
        world["a"]["product"].save()
    assert _documents() == before
    assert SearchIndexVersion.objects.get(agency_id=agency_id).version == version


@pytest.mark.parametrize("name", ["action", "product", "call", "buyer"])
def test_deleting_an_entity_deletes_only_its_documents(
    world, name, django_capture_on_commit_callbacks
):
    entity = world["a"][name]
    entity_id = entity.pk
    kind = {"call": "mobile_call"}.get(name, name)
    before = _documents()
    assert any(v[1] == entity_id for v in before.values())
    with django_capture_on_commit_callbacks(execute=True):
        entity.delete()
    after = _documents()
    assert not any(v[1] == entity_id for v in after.values())
    if name == "buyer":  # the buyer's meeting and action cascade with it
        gone = {entity_id, world["a"]["meeting"].pk, world["a"]["action"].pk}
        assert {pk for pk, v in before.items() if v[1] not in gone} == set(after)
    else:
        _assert_only_replaced(before, after, kind, entity_id)


def test_deleting_a_meeting_deletes_its_and_its_actions_documents(
    world, django_capture_on_commit_callbacks
):
    gone = {world["a"]["meeting"].pk, world["a"]["action"].pk}
    before = _documents()
    with django_capture_on_commit_callbacks(execute=True):
        world["a"]["meeting"].delete()
    after = _documents()
    assert {pk for pk, v in before.items() if v[1] not in gone} == set(after)


def test_reconciling_an_app_call_removes_its_call_log_document(
    world, django_capture_on_commit_callbacks
):
    call = world["a"]["call"]
    with django_capture_on_commit_callbacks(execute=True):
        call.meeting = world["a"]["meeting"]
        call.save()
    assert not SearchDocument.objects.filter(entity_id=call.pk).exists()


def test_app_call_document_links_the_buyer_of_its_number(
    seller, django_capture_on_commit_callbacks
):
    buyer = make_buyer(seller.agency, phone="+919700055555", name="Nikhil")
    with django_capture_on_commit_callbacks(execute=True):
        call = _app_call(seller, buyer_number="+919700055555", status=AppCallStatus.NOT_ANSWERED)
    doc = SearchDocument.objects.get(entity_id=call.pk)
    assert doc.type == "mobile.call"
    assert doc.buyer_id == buyer.pk and doc.seller_id == seller.pk
    assert "Not Answered" in doc.text and "Nikhil" in doc.text


def test_index_entity_of_a_missing_entity_only_deletes_its_documents(world):
    action = world["a"]["action"]
    Action.objects.filter(pk=action.pk)._raw_delete(Action.objects.db)  # no signals
    before = _documents()
    outcome = search_index_entity(kind="action", entity_id=action.pk)
    assert outcome.deleted == 1
    assert set(_documents()) == {pk for pk, v in before.items() if v[1] != action.pk}


def _stale_document(agency):
    return SearchDocument.objects.create(
        agency=agency,
        type="action.item",
        entity_kind="action",
        entity_id=uuid.uuid4(),
        text="An action whose row is gone",
        embedding=vector_to_bytes(get_embedding_provider().embed(["x"])[0]),
        embedding_model=get_embedding_provider().model_id,
    )


class TestRebuildCommand:
    def test_dry_run_counts_and_writes_nothing(self, world, agency):
        SearchDocument.objects.filter(agency=agency).delete()
        out = io.StringIO()
        call_command("rebuild_search_index", "--agency", agency.name, "--dry-run", stdout=out)
        assert not SearchDocument.objects.filter(agency=agency).exists()
        output = out.getvalue()
        assert "] " in output and "entities" in output  # the progress bar
        summary = output.strip().splitlines()[-1]
        assert summary.startswith("Acme Realty: ")
        assert "would write" in summary and summary.endswith("(dry run)")

    def test_rebuild_restores_documents_and_drops_stale_ones_of_that_agency_only(
        self, world, agency, other_agency
    ):
        ours_stale, theirs_stale = _stale_document(agency), _stale_document(other_agency)
        SearchDocument.objects.filter(agency=agency, type="meeting.qa").delete()
        out = io.StringIO()
        call_command("rebuild_search_index", "--agency", str(agency.pk), stdout=out)
        assert SearchDocument.objects.filter(agency=agency, type="meeting.qa").count() == 1
        assert not SearchDocument.objects.filter(pk=ours_stale.pk).exists()
        assert SearchDocument.objects.filter(pk=theirs_stale.pk).exists()
        assert "1 stale documents" in out.getvalue()

    def test_unknown_agency_is_an_error(self, db):
        with pytest.raises(CommandError):
            call_command("rebuild_search_index", "--agency", "Nope", stdout=io.StringIO())


def test_bulk_writes_are_indexed_too(
    client_for, seller, agency, django_capture_on_commit_callbacks
):
    """Bulk writes send no signals: the services that make them enqueue the re-index."""
    from actions.services import action_bulk_update_status
    from meetings.models import Meeting
    from meetings.services import CallMeetingSpec, meetings_create_for_calls

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(seller).post(
            "/api/call_records/post_app_call_record",
            [
                {
                    "sellerNumber": seller.phone,
                    "appCallId": f"missed-{n}",
                    "buyerNumber": f"+91970009999{n}",
                    "callType": "missed",
                    "startTime": f"2026-11-20T10:00:0{n}",
                    "endTime": f"2026-11-20T10:00:0{n}",
                    "duration": 0,
                }
                for n in range(3)
            ],
            format="json",
        )
    assert response.status_code == 200, response.json()["results"]
    indexed = SearchDocument.objects.filter(entity_kind="mobile_call")
    assert set(indexed.values_list("entity_id", flat=True)) == set(
        MobileAppCall.objects.values_list("id", flat=True)
    )

    buyer = make_buyer(agency, phone="+919700012345")
    with django_capture_on_commit_callbacks(execute=True):
        [meeting] = meetings_create_for_calls(
            specs=[
                CallMeetingSpec(
                    seller=seller,
                    buyer=buyer,
                    direction="outgoing",
                    start_time=timezone.now(),
                    end_time=None,
                )
            ]
        )
    assert SearchDocument.objects.filter(entity_kind="meeting", entity_id=meeting.pk).exists()

    action = baker.make(
        Action, meeting=Meeting.objects.get(), seller=seller, buyer=buyer, title="Send the quote"
    )
    with django_capture_on_commit_callbacks(execute=True):
        action_bulk_update_status(actor=seller, items=[{"id": action.pk, "status": "completed"}])
    [document] = SearchDocument.objects.filter(entity_kind="action", entity_id=action.pk)
    assert document.meta["status"] == "completed"
    assert "Status: completed." in document.text
