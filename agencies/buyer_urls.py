from django.urls import path

from agencies import buyer_apis as apis

urlpatterns = [
    path("all", apis.BuyerListApi.as_view(), name="buyers-all"),
    path("search", apis.BuyerSearchApi.as_view(), name="buyers-search"),
    path("create", apis.BuyerCreateApi.as_view(), name="buyers-create"),
    path("profile/<uuid:buyer_id>", apis.BuyerProfileApi.as_view(), name="buyers-profile"),
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
]
