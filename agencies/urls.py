from django.urls import path

from agencies import apis, tracker_apis

urlpatterns = [
    path("get_agency_names", apis.AgencyNamesApi.as_view(), name="agency-names"),
    path("create_agency", apis.AgencyCreateApi.as_view(), name="agency-create"),
    path("create_product", apis.ProductCreateApi.as_view(), name="agency-create-product"),
    path(
        "update_product/<uuid:product_id>",
        apis.ProductUpdateApi.as_view(),
        name="agency-update-product",
    ),
    path("update_description", apis.UpdateDescriptionApi.as_view(), name="agency-description"),
    path("add_seller", apis.AddSellerApi.as_view(), name="agency-add-seller"),
    path("product_catalogue", apis.ProductCatalogueApi.as_view(), name="agency-products"),
    path("sellers", apis.AgencySellersApi.as_view(), name="agency-sellers"),
    path("details", apis.AgencyDetailsApi.as_view(), name="agency-details"),
    path("trackers", tracker_apis.TrackerListApi.as_view(), name="agency-trackers"),
    path(
        "trackers/<uuid:tracker_id>",
        tracker_apis.TrackerDetailApi.as_view(),
        name="agency-tracker",
    ),
]
