"""Accounts: organizations (with outlets), their members and their API keys."""
