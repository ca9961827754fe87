from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from actions import selectors as action_selectors
from agencies import book_services, deletion_services, merge_services, services
from chirpworks.pagination import Page, PagePagination
from chirpworks.phones import phone_denorm
from chirpworks.schema import error_responses
from chirpworks.views import AgencyAPIView
from insights import (
    book_audit_selectors,
    book_duplicate_selectors,
    book_selectors,
    book_timeline_selectors,
)
from insights import buyer_selectors as selectors
from insights.buyer_serializers import (
    AuditOutputSerializer,
    BuyerActionsCountSerializer,
    BuyerActionsSerializer,
    BuyerCreateInputSerializer,
    BuyerCreateOutputSerializer,
    BuyerListOutputSerializer,
    BuyerListQuerySerializer,
    BuyerPatchInputSerializer,
    BuyerProductCatalogueSerializer,
    BuyerProfileSerializer,
    BuyerProfileUpdateInputSerializer,
    BuyerProfileUpdateOutputSerializer,
    BuyerSearchOutputSerializer,
    BuyerSearchQuerySerializer,
    BuyerStateOutputSerializer,
    DuplicatesOutputSerializer,
    MergeInputSerializer,
    MergeOutputSerializer,
    NoteInputSerializer,
    NoteOutputSerializer,
    PageQuerySerializer,
    TimelineOutputSerializer,
)
from insights.throttles import BuyerSearchThrottle
from meetings.history_selectors import call_history_records
from meetings.serializers import CallRecordSerializer
from sellers.access_selectors import scope_visible

ERRORS = error_responses(
    described={404: "Not found, or not a buyer the caller may see: {error, code}"}
)


class BuyerListApi(AgencyAPIView):
    """The buyers the caller may see, most recently contacted first, a page at a time."""

    pagination_class = PagePagination

    @extend_schema(
        tags=["buyers"],
        parameters=[BuyerListQuerySerializer],
        responses={200: BuyerListOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = BuyerListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        buyers = selectors.buyer_list(
            actor=request.user,
            lifecycle=query.validated_data.get("lifecycle"),
            tag=query.validated_data.get("tag"),
        )
        page = self.paginator.paginate_queryset(buyers, request, view=self)
        body = {
            "buyers": [selectors.buyer_row(buyer) for buyer in page],
            "pagination": self.paginator.get_pagination(),
            "agency_id": request.user.agency_id,
        }
        return Response(BuyerListOutputSerializer(body).data)


class BuyerProfileApi(AgencyAPIView):
    """GET for the app; PUT for the app (seller token) or a processing worker (service token).

    A seller reads and updates only the buyers they may see; a worker updates any buyer.
    """

    # The docstring documents the path; a worker's PUT is served by
    # pipeline.worker.apis.BuyerProfileUpdateApi (chirpworks.urls routes by credential).

    @extend_schema(tags=["buyers"], responses={200: BuyerProfileSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        body = {
            **selectors.buyer_row(buyer),
            "risks": buyer.risks,
            "products_discussed": selectors.buyer_products_discussed(buyer=buyer),
            "key_highlights": buyer.key_highlights,
            **book_selectors.buyer_book_details(buyer=buyer),
        }
        return Response(BuyerProfileSerializer(body).data)

    @extend_schema(
        tags=["buyers"],
        request=BuyerPatchInputSerializer,
        responses={200: BuyerProfileSerializer, **ERRORS},
        description="Lifecycle, tags (replaced; normalised), name, email, company and profile "
        "fields (a value typed here is never replaced by a later call's analysis; null clears "
        "it). The buyer's seller, their manager or an admin; never a guest.",
    )
    def patch(self, request: Request, buyer_id) -> Response:
        buyer = book_selectors.buyer_get_writable(actor=request.user, buyer_id=buyer_id)
        data = BuyerPatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        book_services.buyer_update(actor=request.user, buyer=buyer, data=data.validated_data)
        return self.get(request, buyer_id)

    @extend_schema(
        tags=["buyers"],
        request=None,
        responses={200: BuyerStateOutputSerializer, **ERRORS},
        description="Soft delete: the buyer, its calls and actions are hidden everywhere until "
        "an admin restores it. An admin, or the manager of the buyer's seller.",
    )
    def delete(self, request: Request, buyer_id) -> Response:
        buyer = book_selectors.buyer_get_deletable(actor=request.user, buyer_id=buyer_id)
        buyer = deletion_services.buyer_soft_delete(actor=request.user, buyer=buyer)
        body = {"id": buyer.pk, "deleted": True, "deleted_at": buyer.deleted_at}
        return Response(BuyerStateOutputSerializer(body).data)

    @extend_schema(
        tags=["buyers"],
        request=BuyerProfileUpdateInputSerializer,
        responses={200: BuyerProfileUpdateOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        data = BuyerProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buyer = services.buyer_update_profile(
            buyer=buyer, data=data.validated_data, actor=request.user
        )
        return Response(
            BuyerProfileUpdateOutputSerializer(selectors.buyer_profile_update_row(buyer)).data
        )


class BuyerCallHistoryApi(AgencyAPIView):
    """The buyer's calls with the sellers the caller may see, newest first (a bare array)."""

    @extend_schema(tags=["buyers"], responses={200: CallRecordSerializer(many=True), **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        records = call_history_records(scope=scope_visible(actor=request.user), buyer=buyer)
        return Response(records)


class BuyerProductCatalogueApi(AgencyAPIView):
    @extend_schema(tags=["buyers"], responses={200: BuyerProductCatalogueSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        body = {
            "id": buyer.pk,
            "products_discussed": selectors.buyer_product_catalogue(buyer=buyer),
        }
        return Response(BuyerProductCatalogueSerializer(body).data)


class BuyerActionsCountApi(AgencyAPIView):
    @extend_schema(tags=["buyers"], responses={200: BuyerActionsCountSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        count = action_selectors.buyer_pending_actions_count(actor=request.user, buyer_id=buyer.pk)
        return Response({"buyer_id": buyer.pk, "pending_actions_count": count})


class BuyerActionsApi(AgencyAPIView):
    """The buyer's actions the caller may see: pending first, then by due date."""

    @extend_schema(tags=["buyers"], responses={200: BuyerActionsSerializer, **ERRORS})
    def get(self, request: Request, buyer_id) -> Response:
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        actions = action_selectors.action_rows(
            action_selectors.buyer_actions(actor=request.user, buyer_id=buyer.pk)
        )
        return Response({"buyer_id": buyer.pk, "actions": actions, "total_count": len(actions)})


class BuyerCreateApi(AgencyAPIView):
    """A new buyer in the caller's agency, visible to the caller from then on.

    409 when the agency already has a buyer with that phone, whether or not the caller may see it.
    """

    @extend_schema(
        tags=["buyers"],
        request=BuyerCreateInputSerializer,
        responses={201: BuyerCreateOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = BuyerCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {key: value for key, value in data.validated_data.items() if value is not None}
        buyer = services.buyer_create(agency=request.user.agency, created_by=request.user, **fields)
        body = {
            "message": "Buyer created successfully",
            "buyer": {
                "id": buyer.pk,
                "name": buyer.name,
                "phone": phone_denorm(buyer.phone),
                "email": buyer.email or None,
                "company_name": buyer.company_name or None,
                "agency_id": buyer.agency_id,
                "risks": buyer.risks,
                "products_discussed": buyer.products_discussed,
                "key_highlights": buyer.key_highlights,
            },
        }
        return Response(BuyerCreateOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class BuyerSearchApi(AgencyAPIView):
    """Find the buyers the caller may see by name, company, phone or email, best match first."""

    throttle_classes = [BuyerSearchThrottle]

    @extend_schema(
        tags=["buyers"],
        parameters=[BuyerSearchQuerySerializer],
        responses={
            200: BuyerSearchOutputSerializer,
            429: OpenApiResponse(description="{error, code: RATE_LIMIT_EXCEEDED, rate_limit}"),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        query = BuyerSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        body = selectors.buyer_search(actor=request.user, **query.validated_data)
        # The throttle left this search's budget on the request.
        body = {**body, "rate_limit": request.rate_limit}
        return Response(BuyerSearchOutputSerializer(body).data)


def _note_body(note, buyer_id) -> dict:
    return {**book_selectors.note_row(note), "buyer_id": buyer_id}


class BuyerNoteApi(AgencyAPIView):
    """A note on the buyer, shown in its profile and timeline."""

    @extend_schema(
        tags=["buyers"],
        request=NoteInputSerializer,
        responses={201: NoteOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, buyer_id) -> Response:
        buyer = book_selectors.buyer_get_writable(actor=request.user, buyer_id=buyer_id)
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = book_services.buyer_note_add(
            actor=request.user, buyer=buyer, text=data.validated_data["text"]
        )
        return Response(
            NoteOutputSerializer(_note_body(note, buyer.pk)).data, status=status.HTTP_201_CREATED
        )


class MeetingNoteApi(AgencyAPIView):
    """A note on a meeting (and so on its buyer); call history's ``call_notes`` shows the latest."""

    @extend_schema(
        tags=["meetings"],
        request=NoteInputSerializer,
        responses={201: NoteOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, meeting_id) -> Response:
        meeting = book_selectors.meeting_get_notable(actor=request.user, meeting_id=meeting_id)
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = book_services.buyer_note_add(
            actor=request.user,
            buyer=meeting.buyer,
            text=data.validated_data["text"],
            meeting=meeting,
        )
        return Response(
            NoteOutputSerializer(_note_body(note, meeting.buyer_id)).data,
            status=status.HTTP_201_CREATED,
        )


class BuyerTimelineApi(AgencyAPIView):
    """Everything that happened with a buyer, newest first, a page at a time."""

    @extend_schema(
        tags=["buyers"],
        parameters=[PageQuerySerializer],
        responses={200: TimelineOutputSerializer, **ERRORS},
    )
    def get(self, request: Request, buyer_id) -> Response:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number, limit = query.validated_data["page"], query.validated_data["limit"]
        buyer = selectors.buyer_get_for(actor=request.user, buyer_id=buyer_id)
        events, total = book_timeline_selectors.buyer_timeline(
            actor=request.user, buyer=buyer, number=number, limit=limit
        )
        page = Page(items=events, number=number, limit=limit, total_count=total)
        body = {"buyer_id": buyer.pk, "events": events, "pagination": page.meta()}
        return Response(TimelineOutputSerializer(body).data)


class BuyerHistoryApi(AgencyAPIView):
    """The audit trail: every write to the buyer, who made it, and each field before and after."""

    @extend_schema(
        tags=["buyers"],
        parameters=[PageQuerySerializer],
        responses={200: AuditOutputSerializer, **ERRORS},
    )
    def get(self, request: Request, buyer_id) -> Response:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        number, limit = query.validated_data["page"], query.validated_data["limit"]
        buyer = book_selectors.buyer_get_auditable(actor=request.user, buyer_id=buyer_id)
        rows, total = book_audit_selectors.buyer_audit_trail(
            buyer=buyer, number=number, limit=limit
        )
        page = Page(items=rows, number=number, limit=limit, total_count=total)
        body = {"buyer_id": buyer.pk, "history": rows, "pagination": page.meta()}
        return Response(AuditOutputSerializer(body).data)


class BuyerRestoreApi(AgencyAPIView):
    """Bring back a deleted buyer with its calls, actions and notes (admin)."""

    @extend_schema(
        tags=["buyers"], request=None, responses={200: BuyerStateOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, buyer_id) -> Response:
        buyer = book_selectors.buyer_get_restorable(actor=request.user, buyer_id=buyer_id)
        buyer = deletion_services.buyer_restore(actor=request.user, buyer=buyer)
        body = {"id": buyer.pk, "deleted": False, "deleted_at": None}
        return Response(BuyerStateOutputSerializer(body).data)


class BuyerDuplicatesApi(AgencyAPIView):
    """Likely duplicates among the buyers the caller sees, most certain first, with reasons."""

    @extend_schema(tags=["buyers"], responses={200: DuplicatesOutputSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        groups = book_duplicate_selectors.buyer_duplicates(actor=request.user)
        return Response(DuplicatesOutputSerializer({"groups": groups}).data)


class BuyerMergeApi(AgencyAPIView):
    """Merge buyers into one, all or nothing (admin, or the manager of every seller involved)."""

    @extend_schema(
        tags=["buyers"],
        request=MergeInputSerializer,
        responses={200: MergeOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keep, merge = book_selectors.buyers_get_mergeable(
            actor=request.user,
            keep_id=data.validated_data["keep_id"],
            merge_ids=data.validated_data["merge_ids"],
        )
        record = merge_services.buyers_merge(actor=request.user, keep=keep, merge=merge)
        body = {
            "merge_id": record.pk,
            "kept_id": record.kept_id,
            "merged_ids": record.merged_ids,
            "moved": record.moved,
        }
        return Response(MergeOutputSerializer(body).data)
