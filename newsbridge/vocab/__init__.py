"""Controlled vocabularies shipped with the hub (pure data access, no I/O beyond the package)."""
