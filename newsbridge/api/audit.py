"""``/api/v1/audit``: an organization's audit log, for its admins' keys (the ``manage`` scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from newsbridge.accounts import audit
from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import Hub, caller, hub
from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 time with a zone, like 2026-12-01T00:00:00Z",
                           field=name) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} needs a zone (Z or +05:00)", field=name)
    return parsed


def _entries(the_hub: Hub, principal: Principal, since: str | None, until: str | None, action: str | None,
             before: int | None, limit: int) -> list[audit.Entry]:
    with reading(the_hub.engine) as conn:
        return audit.entries(conn, principal.organization.id, since=_time(since, "from"), until=_time(until, "to"),
                             action=action, before=before, limit=limit)


@router.get("/audit", summary="Your organization's audit log, newest first")
def audit_log(since: str | None = Query(None, alias="from", description="From this time (ISO 8601 with a zone)"),
              until: str | None = Query(None, alias="to", description="Before this time"),
              action: str | None = Query(None, description="Actions starting with this (key., sign_in)"),
              before: int | None = Query(None, description="The `next` of the previous page"),
              limit: int = Query(100, ge=1, le=audit.MAX_PAGE),
              principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> dict[str, Any]:
    """Sign-ins, keys, endpoints, feed tokens, agreement actions and downloads of originals: who, when,
    from which address, what. Append-only."""
    found = _entries(the_hub, principal, since, until, action, before, limit)
    return {"entries": [e.to_json() for e in found], "next": found[-1].id if len(found) == limit else None}


@router.get("/audit.csv", summary="Your organization's audit log as CSV (up to 500 entries a call)",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The CSV file"}})
def audit_csv(since: str | None = Query(None, alias="from"), until: str | None = Query(None, alias="to"),
              action: str | None = Query(None), before: int | None = Query(None),
              limit: int = Query(audit.MAX_PAGE, ge=1, le=audit.MAX_PAGE),
              principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> Response:
    found = _entries(the_hub, principal, since, until, action, before, limit)
    return Response(audit.csv_text(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@router.get("/audit.jsonl", summary="Your organization's audit log as JSON lines (up to 500 entries a call)",
            response_class=Response,
            responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                             "description": "One JSON object per line, UTF-8, newest first"}})
def audit_jsonl(since: str | None = Query(None, alias="from"), until: str | None = Query(None, alias="to"),
                action: str | None = Query(None), before: int | None = Query(None),
                limit: int = Query(audit.MAX_PAGE, ge=1, le=audit.MAX_PAGE),
                principal: Principal = Depends(caller("manage")), the_hub: Hub = Depends(hub)) -> Response:
    """The entries of ``GET /api/v1/audit`` (same filters and paging), one object a line: what log tools
    ingest. Names in Persian or Kazakh stay as characters, not ``\\u`` escapes."""
    found = _entries(the_hub, principal, since, until, action, before, limit)
    return Response(audit.json_lines(found), media_type="application/x-ndjson; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})
