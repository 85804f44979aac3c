"""The alert centre: the member's alerts, their read state and settings, saved searches, and the
e-mail digest's words.

Every route that names an alert or a saved search answers 404 unless it is one of the member's
own (alerts.feed.find_alert, alerts.saved_searches.get_search): an alert is only ever about the
member's organization.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsbridge.accounts.members import Member
from newsbridge.accounts.organizations import Organization
from newsbridge.alerts.feed import Alert, alerts_for, find_alert
from newsbridge.alerts.mail import Line, Link, compose
from newsbridge.alerts.marks import dismiss, mark_read
from newsbridge.alerts.saved_searches import (FIELDS, delete_search, list_searches, save_search,
                                              set_search_alerts)
from newsbridge.alerts.settings import ALWAYS, KINDS, get_settings, save_settings
from newsbridge.config import Settings, base_url
from newsbridge.db.engine import read, reading, writing
from newsbridge.errors import NewsbridgeError
from newsbridge.exchange.agreements import partner_agreements
from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.vocab import topic_labels
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.context import Viewer, checked_form, page, viewer
from newsbridge.web.i18n import N_, gettext_for, local_time, ngettext_for, number, separator

router = APIRouter(include_in_schema=False)

KIND_NAMES = {
    "withdrawn": N_("Withdrawals of items we picked up"),
    "corrected": N_("Corrections of items we picked up"),
    "signature": N_("Agreements awaiting our signature"),
    "roadmap": N_("Roadmap commitments due soon or overdue"),
    "endpoint": N_("Failing webhook endpoints"),
    "source": N_("Failing feeds we poll"),
    "search": N_("New matches for saved searches"),
}
# What each alert says, by kind; {title} is the headline, agreement, commitment or URL.
HEADINGS = {
    "withdrawn": N_("Withdrawn: take your republication down"),
    "corrected": N_("Corrected: update your republication"),
    "signature": N_("Awaiting your signature"),
    "roadmap_soon": N_("Due soon"),
    "roadmap_overdue": N_("Overdue"),
    "endpoint": N_("Webhook endpoint failing"),
    "source": N_("Feed failing"),
    "search": N_("New match for a saved search"),
}


def heading(alert: Alert) -> str:
    if alert.kind == "roadmap":
        return HEADINGS["roadmap_overdue" if alert.overdue else "roadmap_soon"]
    return HEADINGS[alert.kind]


def _alerts(request: Request, who: Viewer) -> list[Alert]:
    with reading(request.app.state.hub.engine) as conn:
        return alerts_for(conn, who.organization, who.member)


def _list_context(request: Request, who: Viewer) -> dict[str, Any]:
    alerts = _alerts(request, who)
    return {"alerts": alerts, "unread": sum(not a.read for a in alerts), "heading": heading,
            "open_link": lambda a: "/alerts/open?" + urlencode({"key": a.key})}


@router.get("/alerts")
def alert_centre(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "alerts.html", who, **_list_context(request, who))


@router.get("/alerts/list")
def alert_list(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The list alone, refreshed in place when the count changes (alerts.js)."""
    return page(request, "alerts_list.html", who, **_list_context(request, who))


@router.get("/alerts/summary")
async def alert_summary(request: Request, who: Viewer = Depends(viewer)) -> JSONResponse:
    """The unread count for the navigation and tab title, and the unread withdrawals of items we
    picked up for desktop notifications (alerts.js); read on the reader threads, off the loop."""
    alerts = await read(request.app.state.hub.engine, _alerts, request, who)
    _ = gettext_for(who.locale)
    ngettext = ngettext_for(who.locale)
    unread = [a for a in alerts if not a.read]
    notify = [{"key": a.key, "title": _(heading(a)), "body": a.title,
               "url": "/alerts/open?" + urlencode({"key": a.key})} for a in unread if a.kind == "withdrawn"]
    return JSONResponse({"count": len(unread), "count_text": number(len(unread), who.locale),
                         "label": ngettext("%(num)s unread alert", "%(num)s unread alerts", len(unread)),
                         "notify": notify}, headers={"Cache-Control": "no-store"})


@router.get("/alerts/open")
def open_alert(request: Request, key: str = "", who: Viewer = Depends(viewer)) -> Response:
    """Mark the alert read and go where the member acts on it."""
    with writing(request.app.state.hub.engine) as conn:
        alert = find_alert(conn, who.organization, who.member, key)
        mark_read(conn, who.member.id, [alert.key])
    return RedirectResponse(alert.link, status_code=303)


async def _marked(request: Request, who: Viewer, how: str) -> Response:
    form = await checked_form(request, who)

    def work() -> None:
        with writing(request.app.state.hub.engine) as conn:
            if how == "read_all":
                keys = [a.key for a in alerts_for(conn, who.organization, who.member) if not a.read]
                mark_read(conn, who.member.id, keys)
                return
            alert = find_alert(conn, who.organization, who.member, str(form.get("key", "")))
            (dismiss if how == "dismiss" else mark_read)(conn, who.member.id, [alert.key])

    await run_in_threadpool(work)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/read")
async def read_alert(request: Request, who: Viewer = Depends(viewer)) -> Response:
    return await _marked(request, who, "read")


@router.post("/alerts/dismiss")
async def dismiss_alert(request: Request, who: Viewer = Depends(viewer)) -> Response:
    return await _marked(request, who, "dismiss")


@router.post("/alerts/read-all")
async def read_all(request: Request, who: Viewer = Depends(viewer)) -> Response:
    return await _marked(request, who, "read_all")


TOP_TOPICS = [q for q, t in vocabulary().items() if not t.broader and not t.retired]


def _settings_context(request: Request, who: Viewer, **extra: Any) -> dict[str, Any]:
    with reading(request.app.state.hub.engine) as conn:
        settings = get_settings(conn, who.member.id)
        searches = list_searches(conn, who.member.id)
        partners = sorted({(org.slug, org.name) for org in (get_organization_by_id(conn, i) for i in
                                                            partner_agreements(conn, who.organization))},
                          key=lambda p: p[1].casefold())
    topics = sorted(TOP_TOPICS, key=lambda q: topic_labels.label(q, who.locale).casefold())
    return {"settings": settings, "searches": searches, "partners": partners, "topic_choices": topics,
            "kinds": [(k, KIND_NAMES[k], k in ALWAYS) for k in KINDS], "smtp": bool(
                request.app.state.hub.settings.smtp_url), **extra}


@router.get("/alerts/settings")
def alert_settings_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    return page(request, "alerts_settings.html", who, **_settings_context(request, who))


@router.post("/alerts/settings")
async def save_alert_settings(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)
    form = await request.form()

    def work() -> Response:
        try:
            with writing(request.app.state.hub.engine) as conn:
                save_settings(conn, who.member, [str(v) for v in form.getlist("kinds")],
                              [str(v) for v in form.getlist("partners")], [str(v) for v in form.getlist("topics")],
                              bool(form.get("digest")))
        except NewsbridgeError as exc:
            return page(request, "alerts_settings.html", who, status=exc.status, flash=exc.message,
                        flash_kind="error", **_settings_context(request, who))
        return RedirectResponse("/alerts/settings?saved=1", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alerts/searches")
async def save_desk_search(request: Request, who: Viewer = Depends(viewer)) -> Response:
    """Save the desk's current query (from the desk's filter panel)."""
    form = await checked_form(request, who)

    def work() -> Response:
        try:
            with writing(request.app.state.hub.engine) as conn:
                save_search(conn, who.member, str(form.get("name", "")), {k: form.get(k) for k in FIELDS},
                            alerts=True)
        except NewsbridgeError as exc:
            return page(request, "alerts_settings.html", who, status=exc.status, flash=exc.message,
                        flash_kind="error", **_settings_context(request, who))
        return RedirectResponse("/alerts/settings?search_saved=1#searches", status_code=303)

    return await run_in_threadpool(work)


@router.post("/alerts/searches/{search_id}/alerts")
async def toggle_search_alerts(request: Request, search_id: str, who: Viewer = Depends(viewer)) -> Response:
    form = await checked_form(request, who)

    def work() -> None:
        with writing(request.app.state.hub.engine) as conn:
            set_search_alerts(conn, who.member, search_id, form.get("alerts") == "on")

    await run_in_threadpool(work)
    return RedirectResponse("/alerts/settings#searches", status_code=303)


@router.post("/alerts/searches/{search_id}/delete")
async def remove_search(request: Request, search_id: str, who: Viewer = Depends(viewer)) -> Response:
    await checked_form(request, who)

    def work() -> None:
        with writing(request.app.state.hub.engine) as conn:
            delete_search(conn, who.member, search_id)

    await run_in_threadpool(work)
    return RedirectResponse("/alerts/settings#searches", status_code=303)


def search_link(query: dict[str, str]) -> str:
    return "/desk?" + urlencode(query)


def digest_message(settings: Settings, member: Member, org: Organization, alerts: list[Alert]) -> EmailMessage:
    """The digest e-mail in the member's language: each alert's heading, what it is about, when,
    the republication URLs to fix, and a link to act on it."""
    _ = gettext_for(member.locale)
    ngettext = ngettext_for(member.locale)
    zone = member.timezone or org.timezone
    hub = base_url(settings)
    blocks: list[list[Line]] = [[_("Hello %(name)s,", name=member.name)],
                                [ngettext("Newsbridge has %(num)s new alert for %(organization)s:",
                                          "Newsbridge has %(num)s new alerts for %(organization)s:", len(alerts),
                                          organization=org.name)]]
    for alert in alerts:
        lines: list[Line] = [f"* {_(heading(alert))}: {alert.title}"]
        details = [local_time(alert.at, zone, member.locale)]
        if alert.partners:
            details.append(", ".join(name for _slug, name in alert.partners))
        if alert.due:
            details.append(_("due %(day)s", day=local_time(alert.due, zone, member.locale)))
        if alert.detail:
            details.append(alert.detail)
        lines.append("  " + f" {separator(member.locale)} ".join(details))
        for url in alert.pickup_urls:
            lines.append("  " + _("Our republication: %(url)s", url=url or _("recorded without a URL")))
        lines.append(Link(hub + "/alerts/open?" + urlencode({"key": alert.key})))
        blocks.append(lines)
    blocks.append([_("All your alerts: %(url)s", url=hub + "/alerts"),
                   _("Choose which alerts you get, or turn these e-mails off: %(url)s", url=hub + "/alerts/settings")])
    return compose(sender=settings.mail_from, to=member.email, locale=member.locale, blocks=blocks,
                   subject=ngettext("Newsbridge: %(num)s new alert", "Newsbridge: %(num)s new alerts", len(alerts)))
