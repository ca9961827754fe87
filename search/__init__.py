"""Search and answers across an agency's calls (issue 7): an app above every domain app.

- ``documents``: what is indexed for each kind of entity (contract §4.9's document types);
- ``embeddings``: the embedding provider interface (offline WordLlama, or OpenAI-compatible);
- ``index``: services that replace exactly one entity's documents, and agency rebuilds;
- ``retrieval``: hybrid vector + full-text search fused by reciprocal rank, with access rules;
- ``intents``, ``windows`` and ``answer``: deterministic analytics answers, else extractive or LLM
  answers;
- ``receivers`` and ``tasks``: re-index on commit whenever ``chirpworks.signals.entities_changed``
  says a source entity changed (domain bulk writers send it; save/delete receivers translate);
- ``services``, ``apis``, ``serializers``, ``urls``: ``/api/search/`` and ``/api/search/answer``.
"""
