from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SellerJWTScheme(SimpleJWTScheme):
    target_class = "sellers.authentication.SellerJWTAuthentication"
    name = "jwtAuth"


class WorkerServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "meetings.worker_auth.WorkerServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Service-Token"}
