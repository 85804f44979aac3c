"""Desk pages: each view builds a context from services; templates only format it."""
