"""Search and answers across an agency's calls (issue 7).

- ``documents``: what is indexed for each kind of entity (contract §4.9's document types);
- ``embeddings``: the embedding provider interface (offline WordLlama, or OpenAI-compatible);
- ``index``: services that replace exactly one entity's documents, and agency rebuilds;
- ``retrieval``: hybrid vector + full-text search fused by reciprocal rank, with access rules;
- ``intents`` and ``answer``: deterministic analytics answers, else extractive or LLM answers;
- ``signals`` and ``tasks``: re-index on commit whenever a source entity changes.
"""
