from django.contrib import admin

from products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "updated_at"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["agency"]
