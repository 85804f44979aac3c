"""Alerts: what needs a member's attention, computed from the hub's state, with their read state,
settings, saved searches and e-mail digests."""
