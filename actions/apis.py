from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from actions import selectors, services
from actions.serializers import (
    ActionListOutputSerializer,
    ActionListQuerySerializer,
    ActionSerializer,
    ActionStatusItemSerializer,
    ActionUpdateInputSerializer,
)
from chirpworks.pagination import OptionalPagePagination
from chirpworks.schema import ERRORS
from chirpworks.views import AgencyAPIView
from sellers.serializers import MessageSerializer


class ActionListApi(AgencyAPIView):
    """The caller's actions, or their team members'; due first, undated last, newest first."""

    pagination_class = OptionalPagePagination

    @extend_schema(
        tags=["actions"],
        operation_id="actions_list",
        parameters=[ActionListQuerySerializer],
        responses={200: ActionListOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = ActionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        actions = selectors.action_list(
            actor=request.user,
            team_member_ids=params.get("team_member_ids"),
            status=params.get("status"),
            meeting_id=params.get("meeting_id"),
        )
        body = {
            "filtered_by_status": params.get("status"),
            "filtered_by_meeting": params.get("meeting_id"),
        }
        page = self.paginator.paginate_queryset(actions, request, view=self)
        if page is None:
            body["actions"] = selectors.action_rows(actions)
            body["total_count"] = len(body["actions"])
        else:
            body["actions"] = selectors.action_rows(page)
            body["total_count"] = self.paginator.page.total_count
            body["pagination"] = self.paginator.get_pagination()
        # Rows come in the contract's shape from the selector; no per-row serializer pass.
        return Response(body)


class ActionDetailApi(AgencyAPIView):
    @extend_schema(tags=["actions"], responses={200: ActionSerializer, **ERRORS})
    def get(self, request: Request, action_id) -> Response:
        action = selectors.action_get_visible(actor=request.user, action_id=action_id)
        return Response(ActionSerializer(selectors.action_row_get(action=action)).data)

    @extend_schema(
        tags=["actions"],
        request=ActionUpdateInputSerializer,
        responses={200: ActionSerializer, **ERRORS},
    )
    def patch(self, request: Request, action_id) -> Response:
        action = selectors.action_get_visible(actor=request.user, action_id=action_id)
        data = ActionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = services.action_update(action=action, data=data.validated_data)
        return Response(ActionSerializer(selectors.action_row_get(action=action)).data)


class ActionBulkUpdateApi(AgencyAPIView):
    """Change the status of many actions at once: all of them, or none."""

    @extend_schema(
        tags=["actions"],
        request=ActionStatusItemSerializer(many=True),
        responses={200: MessageSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, list):
            raise serializers.ValidationError("Expected a list of {id, status}")
        data = ActionStatusItemSerializer(data=request.data, many=True, allow_empty=False)
        data.is_valid(raise_exception=True)
        count = services.action_bulk_update_status(actor=request.user, items=data.validated_data)
        return Response({"message": f"Updated {count} actions successfully"})
