from django.apps import AppConfig


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"

    def ready(self):
        from knowledge_base import events  # noqa: F401  (registers the event contracts)
