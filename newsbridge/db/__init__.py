"""Storage: the engine (SQLite by default, PostgreSQL by URL), tables and migrations."""
