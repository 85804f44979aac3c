"""Delivery: the outbox worker, signed webhooks, cursor feeds, Atom, and the live stream."""
