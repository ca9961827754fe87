from django.urls import path

from actions import apis

urlpatterns = [
    path("", apis.ActionListApi.as_view(), name="actions-list"),
    path("update", apis.ActionBulkUpdateApi.as_view(), name="actions-update"),
    path("<uuid:action_id>", apis.ActionDetailApi.as_view(), name="actions-detail"),
]
