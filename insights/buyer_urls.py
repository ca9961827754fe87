from django.urls import path

from insights import buyer_apis as apis

urlpatterns = [
    path("all", apis.BuyerListApi.as_view(), name="buyers-all"),
    path("search", apis.BuyerSearchApi.as_view(), name="buyers-search"),
    path("create", apis.BuyerCreateApi.as_view(), name="buyers-create"),
    path(
        "call_history/<uuid:buyer_id>",
        apis.BuyerCallHistoryApi.as_view(),
        name="buyers-call-history",
    ),
    path(
        "product_catalogue/<uuid:buyer_id>",
        apis.BuyerProductCatalogueApi.as_view(),
        name="buyers-product-catalogue",
    ),
    path(
        "actions/count/<uuid:buyer_id>",
        apis.BuyerActionsCountApi.as_view(),
        name="buyers-actions-count",
    ),
    path("actions/<uuid:buyer_id>", apis.BuyerActionsApi.as_view(), name="buyers-actions"),
    path("notes/<uuid:buyer_id>", apis.BuyerNoteApi.as_view(), name="buyers-notes"),
    path("timeline/<uuid:buyer_id>", apis.BuyerTimelineApi.as_view(), name="buyers-timeline"),
    path("history/<uuid:buyer_id>", apis.BuyerHistoryApi.as_view(), name="buyers-history"),
    path("restore/<uuid:buyer_id>", apis.BuyerRestoreApi.as_view(), name="buyers-restore"),
    path("duplicates", apis.BuyerDuplicatesApi.as_view(), name="buyers-duplicates"),
    path("merge", apis.BuyerMergeApi.as_view(), name="buyers-merge"),
]
