"""The operator console's hub-wide pages: health (queues, failing endpoints and sources, storage, the
workers' last activity) and the audit log (operator actions, or the whole hub, by organization and
action) with CSV and JSON-lines exports. Counts and log entries only: no organization's items."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from newsbridge.accounts import audit
from newsbridge.accounts.operators import OperatorSession
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput
from newsbridge.ops.hub_health import hub_health
from newsbridge.web.operator_context import operator
from newsbridge.web.views.operator import console

router = APIRouter(include_in_schema=False)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


@router.get("/operator/health")
def health_page(request: Request, who: OperatorSession = Depends(operator)) -> HTMLResponse:
    with reading(request.app.state.hub.engine) as conn:
        health = hub_health(conn)
    return console(request, who, "operator_health.html", health=health, blob_size=_size(health.blob_bytes))


def _filters(request: Request, scope: str, organization: str, action: str, before: str,
             limit: int) -> tuple[list[audit.Entry], dict[str, Any]]:
    if scope not in ("operator", "hub"):
        raise InvalidInput("scope must be operator or hub", field="scope")
    try:
        before_id = int(before) if before else None
    except ValueError:
        raise InvalidInput("before must be an entry number", field="before") from None
    with reading(request.app.state.hub.engine) as conn:
        org_id = get_organization(conn, organization).id if organization else None
        found = audit.hub_entries(conn, organization_id=org_id, operator_only=scope == "operator",
                                  action=action[:64] or None, before=before_id, limit=limit)
    return found, {"scope": scope, "organization": organization, "action": action}


@router.get("/operator/audit")
def audit_page(request: Request, scope: str = "operator", organization: str = "", action: str = "",
               before: str = "", who: OperatorSession = Depends(operator)) -> HTMLResponse:
    found, chosen = _filters(request, scope, organization, action, before, 100)
    return console(request, who, "operator_audit.html", entries=found, chosen=chosen,
                   next_before=found[-1].id if len(found) == 100 else None)


@router.get("/operator/audit.csv")
def audit_csv(request: Request, scope: str = "operator", organization: str = "", action: str = "", before: str = "",
              who: OperatorSession = Depends(operator)) -> Response:
    found, _ = _filters(request, scope, organization, action, before, audit.MAX_PAGE)
    return Response(audit.csv_text(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="hub-audit.csv"'})


@router.get("/operator/audit.jsonl")
def audit_jsonl(request: Request, scope: str = "operator", organization: str = "", action: str = "",
                before: str = "", who: OperatorSession = Depends(operator)) -> Response:
    found, _ = _filters(request, scope, organization, action, before, audit.MAX_PAGE)
    return Response(audit.json_lines(found), media_type="application/x-ndjson; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="hub-audit.jsonl"'})
