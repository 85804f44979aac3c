"""The desk's services: what came in (filters, search, unread), reads and pickups."""
