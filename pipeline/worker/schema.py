from drf_spectacular.extensions import OpenApiAuthenticationExtension


class WorkerServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pipeline.worker.auth.WorkerServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Service-Token"}
