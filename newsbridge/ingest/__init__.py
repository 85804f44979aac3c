"""Ingest: normalize and enrich parsed items, then store them (the pipeline)."""
