"""The shapes of the API's main answers, as JSON Schema, for the OpenAPI document.

The routes answer with dictionaries the services build (``render``, ``to_json``), not Pydantic
models, so FastAPI alone documents them as "any object" and a client generator, or Schemathesis's
response-schema check (tests/api/test_openapi_conformance.py), could not tell a wrong answer from
a right one. Each schema here names what an answer always carries and the type of each value;
fields a later release adds are allowed (``additionalProperties`` stays open), so a partner's
client keeps working. :func:`apply` writes them into the document ``api/openapi.py`` builds.
"""

from __future__ import annotations

from typing import Any

from newsbridge.exchange.lifecycle import Status

STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
MAYBE_TIME = {"type": ["string", "null"], "format": "date-time"}
MAYBE_STRING = {"type": ["string", "null"]}
STRINGS = {"type": "array", "items": STRING}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _list_of(key: str, item: dict[str, Any], **more: Any) -> dict[str, Any]:
    return _object([key, *more], **{key: {"type": "array", "items": item}}, **more)


SOURCE = _object(["id", "slug", "name"], id=STRING, slug=STRING, name=STRING)
TEXT_PART = _object(["value"], role=STRING, value=STRING)
# An item as ninjs 3.x or 2.x with the hub's fields (id, source, hub), or Superdesk's ninjs 1.x with
# them under ``newsbridge`` (``format=ninjs1-superdesk``).
HUB_ITEM = _object(["id", "source", "hub", "uri", "version"], id=STRING, uri=STRING, version=STRING,
                   source=SOURCE, hub=_object(["version"], version={"type": "integer", "minimum": 1}),
                   headlines={"type": "array", "items": TEXT_PART}, bodies={"type": "array", "items": TEXT_PART})
SUPERDESK_ITEM = _object(["guid", "uri", "newsbridge"], guid=STRING, uri=STRING, newsbridge={"type": "object"})
ITEM = {"anyOf": [{"$ref": "#/components/schemas/HubItem"}, {"$ref": "#/components/schemas/SuperdeskItem"}]}
ITEM_REF = {"$ref": "#/components/schemas/Item"}
FEED_ENTRY = _object(["event", "cursor"], event={"enum": ["item.published", "item.updated", "item.withdrawn"]},
                     cursor=STRING, creditLine=MAYBE_STRING, item=ITEM_REF)
ENDPOINT = _object(["id", "url", "events", "ninjs_version", "enabled", "created_at"], id=STRING, url=STRING,
                   events=STRINGS, ninjs_version=STRING, format=STRING, enabled={"type": "boolean"},
                   disabled_reason=MAYBE_STRING, failing_since=MAYBE_TIME, paused_until=MAYBE_TIME,
                   created_at=TIME)
KEY = _object(["id", "scopes", "created_at"], id=STRING, scopes=STRINGS, label=STRING, created_at=TIME,
              expires_at=MAYBE_TIME, last_used_at=MAYBE_TIME, revoked_at=MAYBE_TIME)
PARTY = _object(["slug", "signed"], slug=STRING, name=STRING, signed={"type": "boolean"}, signed_at=MAYBE_TIME)
AGREEMENT = _object(["id", "title", "status", "parties", "terms", "created_at"], id=STRING, title=STRING,
                    status={"enum": [state.value for state in Status]},
                    parties={"type": "array", "items": PARTY}, terms={"type": "array", "items": {"type": "object"}},
                    valid_from=MAYBE_STRING, valid_until=MAYBE_STRING, created_at=TIME, updated_at=TIME)

COMPONENTS: dict[str, Any] = {"HubItem": HUB_ITEM, "SuperdeskItem": SUPERDESK_ITEM, "Item": ITEM,
                              "FeedEntry": FEED_ENTRY, "Endpoint": ENDPOINT, "ApiKey": KEY, "Agreement": AGREEMENT}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _with(name: str, **more: Any) -> dict[str, Any]:
    """A component plus fields an answer adds once (a new key or secret, shown only then)."""
    return {"allOf": [_ref(name), _object(list(more), **more)]}


ITEMS = _list_of("items", ITEM_REF)
# (method, path, status) -> the schema of its JSON answer
ANSWERS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("get", "/healthz", "200"): _object(["status", "database", "schema", "version"], status={"enum": ["ok"]},
                                        database=STRING, schema=STRING, version=STRING),
    ("get", "/api/v1/me", "200"): _object(["organization", "key"], organization=SOURCE,
                                          key=_object(["id", "scopes"], id=STRING, scopes=STRINGS)),
    ("post", "/api/v1/items", "201"): ITEM_REF,
    ("post", "/api/v1/items", "200"): ITEM_REF,
    ("post", "/api/v1/items:upload", "201"): ITEMS,
    ("post", "/api/v1/items:upload", "200"): ITEMS,
    ("get", "/api/v1/items", "200"): _list_of("items", ITEM_REF, count={"type": "integer", "minimum": 0}),
    ("get", "/api/v1/items/{item_id}", "200"): ITEM_REF,
    ("get", "/api/v1/inbox", "200"): _list_of("items", ITEM_REF, count={"type": "integer", "minimum": 0}),
    ("get", "/api/v1/feed", "200"): _list_of("items", _ref("FeedEntry"), cursor=MAYBE_STRING),
    ("get", "/api/v1/endpoints", "200"): _list_of("endpoints", _ref("Endpoint")),
    ("post", "/api/v1/endpoints", "201"): _with("Endpoint", secret=STRING),
    ("get", "/api/v1/endpoints/{endpoint_id}", "200"): _ref("Endpoint"),
    ("get", "/api/v1/keys", "200"): _list_of("keys", _ref("ApiKey")),
    ("post", "/api/v1/keys", "201"): _with("ApiKey", key=STRING),
    ("get", "/api/v1/agreements", "200"): _list_of("agreements", _ref("Agreement")),
    ("post", "/api/v1/agreements", "201"): _ref("Agreement"),
    ("get", "/api/v1/agreements/{agreement_id}", "200"): _ref("Agreement"),
}


def apply(schema: dict[str, Any]) -> None:
    """Write the components and each answer's schema into the OpenAPI document ``schema``."""
    schema.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for (method, path, status), answer in ANSWERS.items():
        operation = schema["paths"].get(path, {}).get(method)
        if operation is None:
            continue  # a route this build does not mount
        response = operation.setdefault("responses", {}).setdefault(status, {"description": "Success"})
        response.setdefault("content", {}).setdefault("application/json", {})["schema"] = answer
