from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo agency (``manage.py load_demo``) and its recordings and corpus: above every app,
    since it loads them all."""

    name = "demo"
    verbose_name = "Demo data"
