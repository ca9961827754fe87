"""What the search index holds for each kind of entity (contract §4.9's document types).

``documents_build(kind=, entities=)`` turns a batch of loaded entities into ``DocumentSpec``s: the
text that is embedded and searched, JSON ``meta`` for the client, and the ids the document belongs
to. Everything here is pure: loading (``entities_load``) is one query per batch, plus one for the
buyers that unreconciled app calls name.
"""

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

from actions.models import Action
from agencies.models import Buyer
from calls.models import MobileAppCall
from chirpworks.phones import phone_denorm
from chirpworks.redaction import pii_redactor
from chirpworks.signals import (
    KIND_ACTION,
    KIND_BUYER,
    KIND_MEETING,
    KIND_MOBILE_CALL,
    KIND_PRODUCT,
    KIND_SELLER,
)
from meetings.models import Meeting
from products.models import Product
from sellers.models import Seller

MEETING_STRUCTURED = "meeting.structured"
MEETING_TRANSCRIPT = "meeting.transcript"
MEETING_KEY_POINT = "meeting.key_point"
MEETING_QA = "meeting.qa"
MEETING_FACT = "meeting.fact"
BUYER_PROFILE = "buyer.profile"
PRODUCT_CATALOG = "product.catalog"
ACTION_ITEM = "action.item"
SELLER_PROFILE = "seller.profile"
MOBILE_CALL = "mobile.call"
DOCUMENT_TYPES = (
    MEETING_STRUCTURED,
    MEETING_TRANSCRIPT,
    MEETING_KEY_POINT,
    MEETING_QA,
    MEETING_FACT,
    BUYER_PROFILE,
    PRODUCT_CATALOG,
    ACTION_ITEM,
    SELLER_PROFILE,
    MOBILE_CALL,
)

ENTITY_KINDS = (KIND_MEETING, KIND_ACTION, KIND_BUYER, KIND_PRODUCT, KIND_SELLER, KIND_MOBILE_CALL)

# Transcript chunks: short enough for averaged word vectors to stay specific, 15% overlap so a
# phrase cut at a boundary is whole in one of the two chunks.
TRANSCRIPT_CHUNK_WORDS = 120
TRANSCRIPT_OVERLAP_WORDS = 18
MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class DocumentSpec:
    type: str
    chunk: int
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    meeting_id: uuid.UUID | None = None
    buyer_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    occurred_at: datetime | None = None

    def key(self) -> tuple:
        """What makes two versions of a document the same (so re-indexing can be skipped)."""
        return (
            self.type,
            self.chunk,
            self.text,
            json.dumps(self.meta, sort_keys=True),
            *(str(value) if value else None for value in self.ids()),
            self.occurred_at.isoformat() if self.occurred_at else None,
        )

    def ids(self) -> tuple:
        return (self.meeting_id, self.buyer_id, self.product_id, self.seller_id)


@dataclass
class EntityDocuments:
    agency_id: uuid.UUID | None
    specs: list[DocumentSpec]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _text(value: Any) -> str:
    """Readable text from the loosely-typed JSON the analysers store (str, list, dict)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for key in ("text", "description", "bullets", "summary", "deal_stage", "name", "risk"):
            if key in value:
                return _text(value[key])
        return "; ".join(_text(v) for v in value.values() if _text(v))
    if isinstance(value, Iterable):
        return "; ".join(part for part in (_text(v) for v in value) if part)
    return str(value)


def _items(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return _items(parsed)
    if isinstance(value, dict):
        return [value]
    return list(value)


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:MAX_TEXT_CHARS]


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _product_names(detected: list[dict[str, Any]] | None) -> list[str]:
    """The names in ``detected_products`` (one shape: the analysis schema's ``DetectedProduct``)."""
    return list(dict.fromkeys(item["product_name"] for item in detected or []))


def _summary_bullets(summary: Any) -> list[str]:
    if isinstance(summary, dict):
        summary = summary.get("bullets", summary.get("summary", ""))
    return [_text(item) for item in _items(summary) if _text(item)]


def _buyer_label(buyer: Buyer | None) -> str:
    if buyer is None:
        return "an unknown buyer"
    label = buyer.name or phone_denorm(buyer.phone) or buyer.phone
    return f"{label} ({buyer.company_name})" if buyer.company_name else label


def _transcript_chunks(transcription: Any) -> list[tuple[str, float | None, float | None]]:
    """Word windows over "role: text" lines, each with the times of its first and last segment."""
    words: list[tuple[str, float | None]] = []
    for segment in _items(transcription):
        if not isinstance(segment, dict):
            segment = {"text": str(segment)}
        text = str(segment.get("text") or "").strip()
        translation = str(segment.get("translation") or "").strip()
        if translation and translation != text:
            text = f"{text} ({translation})" if text else translation
        if not text:
            continue
        speaker = segment.get("role") or segment.get("speaker") or "speaker"
        start = segment.get("start")
        start = float(start) if isinstance(start, int | float) else None
        for word in f"{str(speaker).capitalize()}: {text}".split():
            words.append((word, start))
    chunks = []
    step = TRANSCRIPT_CHUNK_WORDS - TRANSCRIPT_OVERLAP_WORDS
    for begin in range(0, len(words), step):
        window = words[begin : begin + TRANSCRIPT_CHUNK_WORDS]
        chunks.append((" ".join(w for w, _ in window), window[0][1], window[-1][1]))
        if begin + TRANSCRIPT_CHUNK_WORDS >= len(words):
            break
    return chunks


def _meeting_documents(meeting: Meeting) -> list[DocumentSpec]:
    # Everything here comes from the call: personal data is redacted before it is indexed.
    return [_redacted(spec, pii_redactor(meeting.agency)) for spec in _meeting_specs(meeting)]


def _redacted(spec: DocumentSpec, redact) -> DocumentSpec:
    meta = dict(spec.meta)
    if isinstance(meta.get("title"), str):
        meta["title"] = redact(meta["title"])
    if isinstance(meta.get("buyer_name"), str):
        meta["buyer_name"] = redact(meta["buyer_name"])
    return replace(spec, text=redact(spec.text), meta=meta)


def _meeting_specs(meeting: Meeting) -> list[DocumentSpec]:
    tz = meeting.agency.tzinfo
    ids = {
        "meeting_id": meeting.pk,
        "buyer_id": meeting.buyer_id,
        "seller_id": meeting.seller_id,
        "occurred_at": meeting.start_time,
    }
    base_meta = {
        "title": meeting.title,
        "start_time": meeting.start_time.isoformat(),
        "seller_name": meeting.seller.name,
        "buyer_name": meeting.buyer.name if meeting.buyer else "",
    }
    specs: list[DocumentSpec] = []
    products = _product_names(meeting.detected_products)
    bullets = _summary_bullets(meeting.summary)
    risks = [
        f"{_text(r.get('risk'))}: {_text(r.get('risk_signal'))}"
        if isinstance(r, dict)
        else _text(r)
        for r in _items(meeting.risks)
    ]
    lines = [
        f"Call: {meeting.title}.",
        f"On {_local(meeting.start_time, tz)} between {meeting.seller.name} "
        f"and {_buyer_label(meeting.buyer)}.",
    ]
    if meeting.type or meeting.detected_call_type:
        lines.append(f"Call type: {_text(meeting.detected_call_type or meeting.type)}.")
    if meeting.deal_stage:
        lines.append(f"Deal stage: {_text(meeting.deal_stage)}.")
    if bullets:
        lines.append("Summary: " + " ".join(bullets))
    if products:
        lines.append("Products discussed: " + ", ".join(products) + ".")
    if risks:
        lines.append("Risks: " + "; ".join(risks) + ".")
    meta = {**base_meta, "products": products}
    specs.append(DocumentSpec(MEETING_STRUCTURED, 0, _clip(" ".join(lines)), meta, **ids))
    for index, point in enumerate(_items(meeting.key_discussion_points)):
        text = _clip(_text(point))
        if text:
            specs.append(DocumentSpec(MEETING_KEY_POINT, index, text, base_meta, **ids))
    for index, pair in enumerate(_items(meeting.qa_pairs)):
        if not isinstance(pair, dict):
            continue
        question, answer = _text(pair.get("question")), _text(pair.get("answer"))
        if question or answer:
            text = _clip(f"Q: {question} A: {answer}")
            specs.append(DocumentSpec(MEETING_QA, index, text, base_meta, **ids))
    for index, fact in enumerate(_items(meeting.facts)):
        if isinstance(fact, dict):
            parts = (fact.get("subject"), fact.get("predicate"), fact.get("object"))
            text = " ".join(_text(p) for p in parts if _text(p))
        else:
            text = _text(fact)
        if text:
            specs.append(DocumentSpec(MEETING_FACT, index, _clip(text), base_meta, **ids))
    for index, (text, start, end) in enumerate(_transcript_chunks(meeting.transcription)):
        meta = {**base_meta, "start": start, "end": end}
        specs.append(DocumentSpec(MEETING_TRANSCRIPT, index, _clip(text), meta, **ids))
    return specs


def _action_documents(action: Action) -> list[DocumentSpec]:
    tz = action.meeting.agency.tzinfo
    lines = [f"Action for {_buyer_label(action.buyer)}: {action.title}."]
    description = _text(action.description)
    if description:
        lines.append(description)
    if action.due_date:
        lines.append(f"Due {_local(action.due_date, tz)}.")
    lines.append(f"Status: {action.status}.")
    if action.reasoning:
        lines.append(f"Reasoning: {action.reasoning}")
    if _text(action.signals):
        lines.append(f"Signals: {_text(action.signals)}")
    meta = {
        "title": action.title,
        "status": action.status,
        "action_type": action.type,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "meeting_title": action.meeting.title,
    }
    spec = DocumentSpec(
        ACTION_ITEM,
        0,
        _clip(" ".join(lines)),
        meta,
        meeting_id=action.meeting_id,
        buyer_id=action.buyer_id,
        seller_id=action.seller_id,
        occurred_at=action.meeting.start_time,
    )
    return [_redacted(spec, pii_redactor(action.meeting.agency))]


def _buyer_documents(buyer: Buyer) -> list[DocumentSpec]:
    tz = buyer.agency.tzinfo
    lines = [f"Buyer {_buyer_label(buyer)}, phone {phone_denorm(buyer.phone) or buyer.phone}."]
    if buyer.email:
        lines.append(f"Email {buyer.email}.")
    redact = pii_redactor(buyer.agency)
    if _text(buyer.key_highlights):  # from the calls: redacted (the buyer's own phone stays)
        lines.append(f"Highlights: {redact(_text(buyer.key_highlights))}.")
    products = _product_names(buyer.products_discussed)
    if products:
        lines.append("Products discussed: " + ", ".join(products) + ".")
    risks = [
        _text(r.get("risk_signal") or r.get("risk")) if isinstance(r, dict) else _text(r)
        for r in _items(buyer.risks)
    ]
    if any(risks):
        lines.append("Risks: " + redact("; ".join(r for r in risks if r)) + ".")
    if buyer.last_contacted_at:
        who = f" by {buyer.last_contacted_by.name}" if buyer.last_contacted_by else ""
        lines.append(f"Last contacted {_local(buyer.last_contacted_at, tz)}{who}.")
    meta = {
        "name": buyer.name,
        "company_name": buyer.company_name,
        "phone": phone_denorm(buyer.phone),
    }
    spec = DocumentSpec(
        BUYER_PROFILE,
        0,
        _clip(" ".join(lines)),
        meta,
        buyer_id=buyer.pk,
        # Whose profile it is, as the buyer endpoints see it (``insights.buyer_selectors``):
        # the seller who contacted the buyer last, else the one who added them.
        seller_id=buyer.last_contacted_by_id or buyer.created_by_id,
        occurred_at=buyer.last_contacted_at,
    )
    return [spec]


def _product_documents(product: Product) -> list[DocumentSpec]:
    lines = [f"Product {product.name}."]
    if product.description:
        lines.append(product.description)
    features = []
    for feature in _items(product.features):
        if isinstance(feature, dict):
            name = _text(feature.get("name"))
            detail = _text({k: v for k, v in feature.items() if k != "name"})
            features.append(f"{name}: {detail}" if detail else name)
    if features:
        lines.append("Features: " + "; ".join(features) + ".")
    meta = {"name": product.name}
    return [DocumentSpec(PRODUCT_CATALOG, 0, _clip(" ".join(lines)), meta, product_id=product.pk)]


def _seller_documents(seller: Seller) -> list[DocumentSpec]:
    if seller.agency_id is None:
        return []  # ops staff belong to no agency and are not searchable
    lines = [f"Seller {seller.name}, {seller.get_role_display().lower()}."]
    if seller.manager:
        lines.append(f"Reports to {seller.manager.name}.")
    lines.append(f"Email {seller.email}.")
    meta = {"name": seller.name, "role": seller.role}
    return [DocumentSpec(SELLER_PROFILE, 0, _clip(" ".join(lines)), meta, seller_id=seller.pk)]


def _mobile_call_documents(call: MobileAppCall, buyer: Buyer | None) -> list[DocumentSpec]:
    if call.meeting_id is not None:
        return []  # a reconciled call is indexed as its meeting
    tz = call.seller.agency.tzinfo
    number = phone_denorm(call.buyer_number) or call.buyer_number
    who = f"{buyer.name} {number}" if buyer and buyer.name else number
    text = (
        f"{call.status} {call.call_type} call with {who} on {_local(call.start_time, tz)}, "
        f"{call.duration}s, by seller {call.seller.name}."
    )
    meta = {
        "status": call.status,
        "call_type": call.call_type,
        "start_time": call.start_time.isoformat(),
        "duration": call.duration,
        "buyer_number": number,
    }
    spec = DocumentSpec(
        MOBILE_CALL,
        0,
        _clip(text),
        meta,
        buyer_id=buyer.pk if buyer else None,
        seller_id=call.seller_id,
        occurred_at=call.start_time,
    )
    return [spec]


def _queryset(kind: str) -> QuerySet:
    # A deleted buyer's profile, meetings and actions have no documents (gone from search).
    if kind == KIND_MEETING:
        return Meeting.objects.select_related("agency", "seller", "buyer").filter(
            buyer__deleted_at__isnull=True
        )
    if kind == KIND_ACTION:
        return Action.objects.select_related("meeting__agency", "buyer").filter(
            buyer__deleted_at__isnull=True
        )
    if kind == KIND_BUYER:
        return Buyer.objects.select_related("agency", "last_contacted_by").filter(
            deleted_at__isnull=True
        )
    if kind == KIND_PRODUCT:
        return Product.objects.all()
    if kind == KIND_SELLER:
        return Seller.objects.select_related("manager")
    if kind == KIND_MOBILE_CALL:
        return MobileAppCall.objects.select_related("seller__agency")
    raise ValueError(f"Unknown entity kind: {kind}")


def documents_model(kind: str) -> type[Model]:
    return _queryset(kind).model


def entities_load(*, kind: str, ids: Sequence[Any], lock: bool = False) -> dict[uuid.UUID, Model]:
    """The entities of ``kind`` with these ids, in one query (missing ids are simply absent)."""
    queryset = _queryset(kind).filter(pk__in=list(ids))
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return {entity.pk: entity for entity in queryset}


def entity_ids_of_agency(*, kind: str, agency_id: uuid.UUID) -> QuerySet:
    """Ids of every entity of ``kind`` that belongs to the agency."""
    model = _queryset(kind).model
    path = {
        KIND_MEETING: "agency_id",
        KIND_ACTION: "meeting__agency_id",
        KIND_BUYER: "agency_id",
        KIND_PRODUCT: "agency_id",
        KIND_SELLER: "agency_id",
        KIND_MOBILE_CALL: "seller__agency_id",
    }[kind]
    return model.objects.filter(**{path: agency_id}).order_by("pk").values_list("pk", flat=True)


def _agency_of(kind: str, entity: Model) -> uuid.UUID | None:
    if kind == KIND_ACTION:
        return entity.meeting.agency_id
    if kind == KIND_MOBILE_CALL:
        return entity.seller.agency_id
    return entity.agency_id


def documents_build(*, kind: str, entities: Iterable[Model]) -> dict[uuid.UUID, EntityDocuments]:
    """The documents of each entity, keyed by entity id."""
    entities = list(entities)
    buyers_by_number: dict[tuple[uuid.UUID, str], Buyer] = {}
    if kind == KIND_MOBILE_CALL:
        pending = [c for c in entities if c.meeting_id is None]
        numbers = {c.buyer_number for c in pending}
        agencies = {c.seller.agency_id for c in pending}
        if numbers:
            for buyer in Buyer.objects.filter(
                agency_id__in=agencies, phone__in=numbers
            ).select_related("merged_into"):
                # A merged-away number is the kept buyer's.
                buyers_by_number[(buyer.agency_id, buyer.phone)] = buyer.merged_into or buyer
    built: dict[uuid.UUID, EntityDocuments] = {}
    for entity in entities:
        if kind == KIND_MEETING:
            specs = _meeting_documents(entity)
        elif kind == KIND_ACTION:
            specs = _action_documents(entity)
        elif kind == KIND_BUYER:
            specs = _buyer_documents(entity)
        elif kind == KIND_PRODUCT:
            specs = _product_documents(entity)
        elif kind == KIND_SELLER:
            specs = _seller_documents(entity)
        else:
            buyer = buyers_by_number.get((entity.seller.agency_id, entity.buyer_number))
            deleted = buyer is not None and buyer.deleted_at is not None
            specs = [] if deleted else _mobile_call_documents(entity, buyer)
        specs = [
            DocumentSpec(
                s.type,
                s.chunk,
                s.text,
                _jsonable(s.meta),
                s.meeting_id,
                s.buyer_id,
                s.product_id,
                s.seller_id,
                s.occurred_at,
            )
            for s in specs
        ]
        built[entity.pk] = EntityDocuments(_agency_of(kind, entity), specs)
    return built
