"""Newsbridge: a news-exchange hub for cooperating media organizations."""

__version__ = "0.1.0"
