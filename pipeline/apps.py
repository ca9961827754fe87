from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"

    def ready(self) -> None:
        from chirpworks.health import check_register
        from pipeline import receivers
        from pipeline.health import check_speech_model
        from pipeline.worker import schema  # noqa: F401  (registers the OpenAPI auth extension)

        receivers.connect()
        check_register(name="speech_model", check=check_speech_model)
