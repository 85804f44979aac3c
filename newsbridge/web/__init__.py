"""Web pages and static files (the desk comes later; today: static assets for /docs)."""
