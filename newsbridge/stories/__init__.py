"""Near-duplicates and same-story clusters: embeddings, MinHash signatures, a gazetteer of names and
the online clustering the story worker runs over newly stored item versions."""

# How candidate vectors are searched, as /healthz reports it: this Python's sqlite3 cannot load
# extensions (no sqlite-vec) and Debian 12 ships no pgvector, so the worker compares the vectors of
# the items published within the time window exactly (a plain column, an index on the time).
VECTOR_SEARCH = "exact-window"
