"""Who is looking at a desk page, in which language and zone, and the CSRF check for forms."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from newsbridge.accounts.members import Member, Role
from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.accounts.sessions import find_session
from newsbridge.db.engine import reading
from newsbridge.errors import Forbidden, InvalidInput, NewsbridgeError, NotFound
from newsbridge.vocab import topic_labels
from newsbridge.vocab.mediatopics import subject_qcode, vocabulary
from newsbridge.web.operator_context import current_operator
from newsbridge.web.i18n import (LOCALES, direction, gettext_for, language_name, local_time, ngettext_for, number,
                                 percent, separator, words)
from newsbridge.web.wording import reason_words, status_word, stored_reason_words

COOKIE = "nb_session"


class SignInRequired(NewsbridgeError):
    """Raised by desk pages without a session; the app answers with a redirect to /login."""

    status = 303
    code = "sign_in_required"


@dataclass(frozen=True)
class Viewer:
    member: Member
    organization: Organization
    csrf_token: str

    @property
    def locale(self) -> str:
        return self.member.locale

    @property
    def timezone(self) -> str:
        return self.member.timezone or self.organization.timezone

    def may(self, action: str) -> bool:
        """Roles: viewers read; editors also publish and pick up; admins also manage agreements and endpoints."""
        needed = {"read": Role.VIEWER, "publish": Role.EDITOR, "manage": Role.ADMIN}[action]
        order = [Role.VIEWER, Role.EDITOR, Role.ADMIN]
        return order.index(self.member.role) >= order.index(needed)

    def require(self, action: str) -> None:
        if not self.may(action):
            raise Forbidden(f"your role ({self.member.role.value}) may not do this; ask an admin of "
                            f"{self.organization.name}", field="role")


def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    with reading(request.app.state.hub.engine) as conn:
        session = find_session(conn, token)
        if session is None:
            return None
        org = get_organization_by_id(conn, session.member.organization_id)
    return Viewer(session.member, org, session.csrf_token)


def viewer(request: Request) -> Viewer:
    """The signed-in member, or a redirect to the sign-in page."""
    found = current_viewer(request)
    if found is None:
        if current_operator(request) is not None:  # the hub's operator sees no organization's desk or items
            raise NotFound("operators see no organization's desk", field=None)
        raise SignInRequired(request.url.path, field=None)
    return found


async def checked_form(request: Request, who: Viewer) -> dict[str, Any]:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not hmac.compare_digest(sent, who.csrf_token):
        raise Forbidden("the form expired or came from another site; reload the page and try again",
                        field="csrf_token")
    fields = {k: v for k, v in form.multi_items()}
    for name, value in fields.items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it; no form needs it
            raise InvalidInput(f"{name} holds a NUL character; remove it and send the form again", field=name)
    return fields


templates = Environment(loader=PackageLoader("newsbridge.web", "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
templates.globals["dot"] = separator("en")  # a page in a language gets its own (``page``)


def sentence(text: str | None) -> str:
    """A message as a sentence: service messages start lower-case (they are quoted in API errors), people read
    sentences."""
    text = str(text or "")
    return text[:1].upper() + text[1:]


def page(request: Request, template: str, who: Viewer | None, status: int = 200, *, locale: str | None = None,
         **context: Any) -> HTMLResponse:
    """Render a desk page in the member's language (or ``locale``, the one just chosen in a form).

    The template gets ``_`` and ``ngettext`` (translate), ``when`` (local time and calendar),
    ``number``/``percent``, ``language_name`` (a code's name), ``topic`` (a qcode's label), ``words``
    (a list in the locale's words), ``status`` (a machine status in words) and ``dir_of``. A ``flash`` is translated when the catalogue
    knows it and shown as a sentence.
    """
    locale = locale or (who.locale if who else request.cookies.get("nb_locale", "en"))
    locale = locale if locale in LOCALES else "en"
    zone = who.timezone if who else "UTC"
    _ = gettext_for(locale)
    topics = vocabulary()

    def when(value: datetime | date | None, fmt: str = "datetime") -> str:
        return local_time(value, zone, locale, fmt)

    def topic(qcode: str) -> str:
        return topic_labels.label(qcode, locale) if qcode in topics else qcode

    def subject(found: dict[str, Any]) -> str:
        qcode = subject_qcode(found)
        return topic(qcode) if qcode in topics else str(found.get("name") or found.get("literal") or found.get("uri"))

    if context.get("flash"):
        context["flash"] = sentence(_(context["flash"]))
    html = templates.get_template(template).render(
        request=request, viewer=who, _=_, ngettext=ngettext_for(locale), when=when, dir_of=direction,
        number=lambda n: number(n, locale), percent=lambda n: percent(n, locale),
        language_name=lambda code: language_name(code, locale), topic=topic, subject=subject,
        reason=lambda why: reason_words(why, locale),
        stored_reason=lambda how: stored_reason_words(how.reason, how.agreement_title, locale),
        language_list=lambda codes: words([language_name(c, locale) for c in codes], locale),
        words=lambda items: words(items, locale), sentence=sentence, status=lambda v: status_word(v, locale), locale=locale, locales=LOCALES,
        dot=separator(locale),
        page_dir=direction(locale), path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)
