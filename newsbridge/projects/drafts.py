"""Shared drafts: one per deliverable and language, every save a numbered revision.

Concurrent edits never overwrite silently: a save names the revision it started from
(``base_revision``); when another save came in between, it is refused with
:class:`~newsbridge.errors.DraftConflict`, carrying both texts, who changed the draft and when,
and a three-way merge proposal made by the ``merge3`` library over word tokens (HTML tags are
single tokens, so a merge never splits one). Where both sides changed the same words the
proposal keeps what is stored and lists the conflict with both versions: accepting a proposal
never drops a partner's saved words unseen.

Media: a writer attaches media of their own organization; media another participant attached to
one of the deliverable's drafts may be kept (``{"media": id}``), so the joint publication carries
every co-producer's media.

A draft in another language than the deliverable's source language is a translation: each of
its revisions remembers the source revision it was made from, and the draft shows
``source_changed`` once the source has a newer revision.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import merge3
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.db.project_tables import draft_revisions
from newsbridge.db.tables import organizations
from newsbridge.errors import Conflict, DraftConflict, HtmlTooComplex, InvalidInput, NotFound
from newsbridge.formats.markup import MarkupTooComplex, clean_html
from newsbridge.ids import utcnow
from newsbridge.media.links import MEDIA_URN, resolve_uploads
from newsbridge.projects.approvals import reset_approvals
from newsbridge.projects.deliverables import EDITABLE, VIDEO_KINDS, Deliverable, Status, move
from newsbridge.projects.events import record_event
from newsbridge.projects.projects import Actor, Project, body_object, participant_side, text_field

TEXT_FIELDS = ("headline", "lead", "body_html")
MAX_SHOTS = 500
_TOKEN = re.compile(r"<[^>]*>|\s+|[^\s<]+")
_TIMECODE = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?([.,]\d{1,3})?$")


@dataclass(frozen=True)
class DraftContent:
    """What a writer saves: the text fields, the shot list (video kinds) and the media references."""

    headline: str = ""
    lead: str = ""
    body_html: str = ""
    shot_list: tuple[dict[str, str], ...] = ()
    media: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"headline": self.headline, "lead": self.lead, "body_html": self.body_html,
                "shot_list": list(self.shot_list), "media": list(self.media)}


@dataclass(frozen=True)
class Revision:
    number: int
    language: str
    content: DraftContent
    source_revision: int | None
    organization: str  # slug
    author: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.number, "language": self.language, **self.content.to_json(),
                "source_revision": self.source_revision, "organization": self.organization, "author": self.author,
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class DraftSave:
    """A validated save request (made before the write transaction: media uploads are looked up)."""

    content: DraftContent
    base_revision: int | None
    media_ids: frozenset[str] = field(default_factory=frozenset)
    # another participant's media kept by id: accepted when its owner attached it to this deliverable
    borrowed: frozenset[str] = field(default_factory=frozenset)


# --- reading a save ------------------------------------------------------------------------------------------------

def body_from_text(text: str) -> str:
    """Plain text as HTML: blank lines part paragraphs, single line breaks stay."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _shot_list(value: Any) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_SHOTS:
        raise InvalidInput(f"shot_list is a list of at most {MAX_SHOTS} shots", field="shot_list")
    shots = []
    for i, shot in enumerate(value):
        if not isinstance(shot, Mapping) or not isinstance(shot.get("description"), str):
            raise InvalidInput("each shot is {\"start\": \"00:01:05\", \"end\": \"00:01:20\", \"description\": ...}",
                               field=f"shot_list[{i}]")
        entry = {"description": shot["description"].strip()[:2000]}
        for key in ("start", "end"):
            if shot.get(key) is not None:
                if not isinstance(shot[key], str) or not _TIMECODE.match(shot[key]):
                    raise InvalidInput(f"{key} is a time code like 00:01:05", field=f"shot_list[{i}].{key}")
                entry[key] = shot[key]
        shots.append(entry)
    return tuple(shots)


def read_save(engine: Engine, organization: Organization, deliverable_kind: str, data: Any) -> DraftSave:
    """Validate a PUT body: ``headline``, ``lead``, ``body_html`` (sanitized) or ``body_text``, ``shot_list``,
    ``media`` (``{"upload": id}`` or ``{"media": id}`` of the saving organization), ``base_revision``."""
    data = body_object(data)
    if "body_html" in data and "body_text" in data:
        raise InvalidInput("send body_html or body_text, not both", field="body_text")
    if data.get("body_html") is not None:
        raw = text_field(data, "body_html", limit=1_000_000)
        try:
            body = clean_html(raw)
        except MarkupTooComplex as exc:
            raise HtmlTooComplex(str(exc), field="body_html") from None
    else:
        body = body_from_text(text_field(data, "body_text", limit=1_000_000))
    shots = _shot_list(data.get("shot_list"))
    if shots and deliverable_kind not in VIDEO_KINDS:
        raise InvalidInput(f"a shot list belongs to {', '.join(VIDEO_KINDS)}", field="shot_list")
    base = data.get("base_revision")
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 0):
        raise InvalidInput("base_revision is the revision number you edited (0 or null for a new draft)",
                           field="base_revision")
    media = data.get("media") or []
    if not isinstance(media, list) or not all(isinstance(m, Mapping) for m in media):
        raise InvalidInput("media lists {\"upload\": id} or {\"media\": id} entries", field="media")
    entries, ids, borrowed = [], set(), set()
    for i, entry in enumerate(media):
        if isinstance(entry.get("media"), str):
            entry = {**{k: v for k, v in entry.items() if k != "media"}, "href": MEDIA_URN + entry["media"]}
        elif not isinstance(entry.get("upload"), str):
            raise InvalidInput("each media entry names an upload or a media id", field=f"media[{i}]")
        try:
            resolved, found = resolve_uploads(engine, organization, {"renditions": [dict(entry)]})
        except NotFound as exc:
            if "upload" in entry:
                raise InvalidInput(f"{exc.message}: media names finished uploads or media of your own "
                                   "organization", field="media") from None
            resolved, found = {"renditions": [dict(entry)]}, set()  # save_draft checks it is the deliverable's
            borrowed.add(str(entry["href"]).removeprefix(MEDIA_URN))
        entries += resolved["renditions"]
        ids |= found
    content = DraftContent(text_field(data, "headline", limit=1000), text_field(data, "lead", limit=5000), body,
                           shots, tuple(entries))
    return DraftSave(content, base, frozenset(ids), frozenset(borrowed))


def _lend(conn: Connection, deliverable: Deliverable, save: DraftSave) -> DraftSave:
    """The save with each borrowed medium (another participant's, kept by id) as its owner attached it to
    one of the deliverable's drafts; InvalidInput for media nobody attached here (joint publication
    carries every participant's media: each owner attaches its own, the others keep them)."""
    if not save.borrowed:
        return save
    earlier: dict[str, dict[str, Any]] = {}
    rows = conn.execute(sa.select(draft_revisions.c.media).where(draft_revisions.c.deliverable_id == deliverable.id)
                        .order_by(draft_revisions.c.id))
    for (entries,) in rows:
        earlier.update({str(m.get("href", "")).removeprefix(MEDIA_URN): dict(m) for m in entries})
    if missing := sorted(save.borrowed - set(earlier)):
        raise InvalidInput(f"no media {missing[0]!r} of yours nor attached to this deliverable: media names finished "
                           "uploads or media of your own organization", field="media")
    media = []
    for entry in save.content.media:
        media_id = str(entry.get("href", "")).removeprefix(MEDIA_URN)
        own = {k: v for k, v in entry.items() if k not in ("href", "contentType", "sizeInBytes", "name")}
        media.append({**earlier[media_id], **own} if media_id in save.borrowed else entry)
    return DraftSave(replace(save.content, media=tuple(media)), save.base_revision, save.media_ids, frozenset())


# --- revisions -----------------------------------------------------------------------------------------------------

def _revision(r: sa.Row) -> Revision:
    return Revision(r.number, r.language, DraftContent(r.headline, r.lead, r.body_html, tuple(r.shot_list),
                                                       tuple(r.media)),
                    r.source_revision, r.slug, r.author, r.created_at)


def _revisions_query(deliverable_id: str, language: str) -> sa.Select[Any]:
    return (sa.select(draft_revisions, organizations.c.slug)
            .join(organizations, organizations.c.id == draft_revisions.c.organization_id)
            .where(draft_revisions.c.deliverable_id == deliverable_id, draft_revisions.c.language == language))


def latest_revision(conn: Connection, deliverable_id: str, language: str) -> Revision | None:
    row = conn.execute(_revisions_query(deliverable_id, language).order_by(draft_revisions.c.number.desc())
                       .limit(1)).first()
    return _revision(row) if row is not None else None


def get_revision(conn: Connection, deliverable: Deliverable, language: str, number: int) -> Revision:
    _check_language(deliverable, language)
    row = conn.execute(_revisions_query(deliverable.id, language).where(draft_revisions.c.number == number)).first()
    if row is None:
        raise NotFound(f"no revision {number} of the {language} draft", field="revision")
    return _revision(row)


def list_revisions(conn: Connection, deliverable: Deliverable, language: str) -> list[Revision]:
    _check_language(deliverable, language)
    return [_revision(r) for r in conn.execute(_revisions_query(deliverable.id, language)
                                               .order_by(draft_revisions.c.number))]


def latest_numbers(conn: Connection, deliverable_id: str) -> dict[str, int]:
    """{language: newest revision number} of a deliverable's drafts."""
    rows = conn.execute(sa.select(draft_revisions.c.language, sa.func.max(draft_revisions.c.number))
                        .where(draft_revisions.c.deliverable_id == deliverable_id)
                        .group_by(draft_revisions.c.language))
    return {lang: number for lang, number in rows}


def _check_language(deliverable: Deliverable, language: str) -> None:
    if language not in deliverable.languages:
        raise NotFound(f"the deliverable has no {language} version ({', '.join(deliverable.languages)})",
                       field="language")


def draft_json(conn: Connection, deliverable: Deliverable, language: str) -> dict[str, Any]:
    """The newest revision, with the translation link: its source language and whether the source changed."""
    _check_language(deliverable, language)
    latest = latest_revision(conn, deliverable.id, language)
    if latest is None:
        raise NotFound(f"nobody wrote the {language} draft yet; PUT it with base_revision 0", field="language")
    body: dict[str, Any] = {**latest.to_json(), "source_language": deliverable.source_language,
                            "translation": language != deliverable.source_language, "source_changed": False}
    if language != deliverable.source_language:
        source = latest_numbers(conn, deliverable.id).get(deliverable.source_language)
        body["source_latest_revision"] = source
        body["source_changed"] = source is not None and (latest.source_revision or 0) < source
    return body


# --- saving, merging -----------------------------------------------------------------------------------------------

def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def merge_text(base: str, theirs: str, yours: str) -> tuple[str, list[dict[str, str]]]:
    """Three-way merge of word tokens: (proposal, conflicts). A conflicting region keeps theirs (stored)."""
    merged: list[str] = []
    conflicts: list[dict[str, str]] = []
    for group in merge3.Merge3(tokens(base), tokens(theirs), tokens(yours)).merge_groups():
        kind = group[0]
        if kind == "conflict":
            _, base_part, their_part, your_part = group
            conflicts.append({"base": "".join(base_part), "theirs": "".join(their_part), "yours": "".join(your_part)})
            merged.extend(their_part)
        else:
            merged.extend(group[1])
    return "".join(merged), conflicts


def merge_proposal(base: DraftContent, theirs: DraftContent, yours: DraftContent) -> dict[str, Any]:
    """Each field merged three ways; lists (shot list, media) taken from the side that changed them."""
    fields: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    for name in TEXT_FIELDS:
        text, found = merge_text(getattr(base, name), getattr(theirs, name), getattr(yours, name))
        fields[name] = text
        conflicts += [{"field": name, **c} for c in found]
    for name in ("shot_list", "media"):
        b, t, y = (list(getattr(c, name)) for c in (base, theirs, yours))
        fields[name] = y if t == b else t
        if t != b and y != b and t != y:
            conflicts.append({"field": name, "base": b, "theirs": t, "yours": y})
    return {"fields": fields, "clean": not conflicts, "conflicts": conflicts}


def _conflict(conn: Connection, deliverable: Deliverable, language: str, base_number: int, current: Revision,
              yours: DraftContent) -> DraftConflict:
    base = get_revision(conn, deliverable, language, base_number).content if base_number else DraftContent()
    since = [r for r in list_revisions(conn, deliverable, language) if r.number > base_number]
    last = since[-1]
    details = {
        "base_revision": base_number, "current_revision": current.number,
        "changed_by": last.author, "changed_by_organization": last.organization,
        "changed_at": last.created_at.isoformat(),
        "changes": [{"revision": r.number, "author": r.author, "organization": r.organization,
                     "at": r.created_at.isoformat()} for r in since],
        "theirs": current.content.to_json(), "yours": yours.to_json(),
        "merge": merge_proposal(base, current.content, yours),
    }
    return DraftConflict(f"the {language} draft changed since revision {base_number}: {last.author} saved revision "
                         f"{current.number} at {last.created_at:%Y-%m-%d %H:%M} UTC. Nothing was saved; look at "
                         "both texts and the merge proposal, then save again with base_revision "
                         f"{current.number}", details)


def save_draft(conn: Connection, project: Project, deliverable: Deliverable, language: str, actor: Actor,
               save: DraftSave) -> tuple[Revision, bool]:
    """Store a new revision if ``save.base_revision`` is the newest one (else :class:`DraftConflict`);
    returns (revision, whether approvals were reset). An assigned deliverable starts being worked
    on; a change after an approval drops every approval (an approved deliverable goes back to review);
    a change after publication starts a correction (back to review, publication.py publishes it)."""
    participant_side(project, actor)
    _check_language(deliverable, language)
    if deliverable.status not in EDITABLE:
        raise Conflict(f"the deliverable is {deliverable.status.value}; its drafts no longer change", field="status")
    save = _lend(conn, deliverable, save)
    current = latest_revision(conn, deliverable.id, language)
    base = save.base_revision or 0
    if current is None and base:
        raise InvalidInput(f"the {language} draft has no revision {base} yet; start it with base_revision 0",
                           field="base_revision")
    if current is not None and base != current.number:
        if base > current.number:
            raise InvalidInput(f"the {language} draft has no revision {base}; its newest is {current.number}",
                               field="base_revision")
        raise _conflict(conn, deliverable, language, base, current, save.content)
    if current is not None and current.content == save.content:
        return current, False  # nothing changed: no revision, approvals stand
    source_revision = None
    if language != deliverable.source_language:
        source_revision = latest_numbers(conn, deliverable.id).get(deliverable.source_language)
    number = (current.number if current else 0) + 1
    now = utcnow()
    conn.execute(draft_revisions.insert().values(
        deliverable_id=deliverable.id, language=language, number=number, **_content_values(save.content),
        source_revision=source_revision, organization_id=actor.organization.id,
        member_id=actor.member.id if actor.member else None, author=actor.label, created_at=now))
    record_event(conn, project.id, deliverable.id, "project.draft_saved", actor,
                 {"language": language, "revision": number})
    reset = reset_approvals(conn, project, deliverable, actor, f"the {language} draft changed (revision {number})")
    if deliverable.status == Status.ASSIGNED:
        move(conn, project, deliverable, Status.IN_PROGRESS, "edit", actor)
    elif deliverable.status == Status.PUBLISHED:  # a correction: approved by all again before it goes out
        move(conn, project, deliverable, Status.IN_REVIEW, "edit", actor)
    saved = latest_revision(conn, deliverable.id, language)
    assert saved is not None
    return saved, reset


def _content_values(content: DraftContent) -> dict[str, Any]:
    values = asdict(content)
    return {**values, "shot_list": list(content.shot_list), "media": list(content.media)}


# --- word diff -----------------------------------------------------------------------------------------------------

def word_diff(old: str, new: str) -> list[dict[str, str]]:
    """The changes from ``old`` to ``new`` as runs of equal, deleted and inserted words."""
    a, b = tokens(old), tokens(new)
    runs: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        parts = [("equal", a[i1:i2])] if op == "equal" else \
            [("delete", a[i1:i2]), ("insert", b[j1:j2])]
        for kind, words in parts:
            if not words:
                continue
            if runs and runs[-1]["op"] == kind:
                runs[-1]["text"] += "".join(words)
            else:
                runs.append({"op": kind, "text": "".join(words)})
    return runs


def diff_revisions(older: Revision, newer: Revision) -> dict[str, Any]:
    """The word diff of each text field between two revisions, and whether the lists changed."""
    return {"from": older.number, "to": newer.number,
            "fields": {name: word_diff(getattr(older.content, name), getattr(newer.content, name))
                       for name in TEXT_FIELDS},
            "shot_list_changed": older.content.shot_list != newer.content.shot_list,
            "media_changed": older.content.media != newer.content.media}


def media_of(revisions: Sequence[Revision]) -> set[str]:
    """The hub media ids the revisions name."""
    return {str(m.get("href", "")).removeprefix(MEDIA_URN) for r in revisions for m in r.content.media
            if str(m.get("href", "")).startswith(MEDIA_URN)}
