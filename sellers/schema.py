from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class SellerJWTScheme(SimpleJWTScheme):
    target_class = "sellers.authentication.SellerJWTAuthentication"
    name = "jwtAuth"
