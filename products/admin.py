from django.contrib import admin

from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "feature_count", "updated_at"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["agency"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Features")
    def feature_count(self, product: Product) -> int:
        return len(product.features or [])
