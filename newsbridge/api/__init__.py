"""The HTTP API (``/api/v1``): one router per domain noun, errors as JSON."""
