"""What the joint-project desk pages show, built from the projects services (views/projects.py renders it).

A module of its own beside the views so the routes stay readable: the board and the timeline of
a project, a deliverable's drafts, revisions, comments and approvals, and the words of statuses
and events in the member's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from newsbridge.accounts.members import list_members
from newsbridge.media.records import media_by_id
from newsbridge.projects.attachable import recent_media
from newsbridge.projects.approvals import approval_state, list_approvals
from newsbridge.projects.comments import list_comments
from newsbridge.projects.deliverables import (KINDS, TRANSITIONS, VIDEO_KINDS, Deliverable, Status,
                                              list_deliverables)
from newsbridge.projects.drafts import diff_revisions, latest_numbers, list_revisions
from newsbridge.projects.events import ProjectEvent, list_events
from newsbridge.projects.projects import Project
from newsbridge.projects.publication import credit_line, list_publications
from newsbridge.web.context import Viewer
from newsbridge.web.i18n import N_

TAG = re.compile(r"<[^>]*>")
BOARD = (Status.IDEA, Status.ASSIGNED, Status.IN_PROGRESS, Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED)
STATUS_NAMES = {
    Status.IDEA: N_("Idea"), Status.ASSIGNED: N_("Assigned"), Status.IN_PROGRESS: N_("In progress"),
    Status.IN_REVIEW: N_("In review"), Status.APPROVED: N_("Approved"), Status.PUBLISHED: N_("Published"),
    Status.DROPPED: N_("Dropped"),
}
# the button that moves a deliverable to a status, said as the action
MOVE_NAMES = {
    Status.IDEA: N_("Back to ideas"), Status.ASSIGNED: N_("Back to assigned"),
    Status.IN_PROGRESS: N_("Start work"), Status.IN_REVIEW: N_("Send for review"), Status.DROPPED: N_("Drop"),
}
MEDIA_KINDS = {"picture": N_("photo"), "video": N_("video"), "audio": N_("audio"), "graphic": N_("graphic")}
BACK_TO_WORK = N_("Back to work")


def move_name(current: Status, target: Status) -> str:
    """The button's words for a member's move: going back to work from review is no start."""
    if target == Status.IN_PROGRESS and current in (Status.IN_REVIEW, Status.APPROVED):
        return BACK_TO_WORK
    if target == Status.ASSIGNED and current == Status.IDEA:  # forward, not back
        return STATUS_NAMES[target]
    return MOVE_NAMES.get(target, STATUS_NAMES[target])


KIND_NAMES = {"article": N_("Article"), "photo_set": N_("Photo set"), "video_report": N_("Video report"),
              "documentary_episode": N_("Documentary episode"), "series_part": N_("Series part")}
EVENT_NAMES = {
    "project.created": N_("%(actor)s started the project"),
    "project.accepted": N_("%(actor)s accepted taking part"),
    "project.activated": N_("Every participant accepted: the project is active"),
    "project.observer_invited": N_("%(actor)s invited an observer"),
    "project.deliverable_added": N_("%(actor)s planned “%(title)s”"),
    "project.assigned": N_("%(actor)s assigned “%(title)s”"),
    "project.status_changed": N_("%(actor)s moved “%(title)s”"),
    "project.draft_saved": N_("%(actor)s saved a draft of “%(title)s”"),
    "project.comment": N_("%(actor)s commented on “%(title)s”"),
    "project.comment_resolved": N_("%(actor)s resolved a comment on “%(title)s”"),
    "project.mention": N_("%(actor)s mentioned someone on “%(title)s”"),
    "project.approval_requested": N_("“%(title)s” waits for approvals"),
    "project.approval_given": N_("%(actor)s approved “%(title)s”"),
    "project.approvals_reset": N_("The approvals of “%(title)s” were reset by a change"),
    "project.published": N_("%(actor)s published “%(title)s”"),
    "project.corrected": N_("%(actor)s published a correction of “%(title)s”"),
}


def event_key(event: ProjectEvent) -> str:
    """The activity line's key: a publication that corrects earlier items says so."""
    if event.type == "project.published" and event.data.get("correction"):
        return "project.corrected"
    return event.type


@dataclass(frozen=True)
class Card:
    """A deliverable as the board and the timeline show it."""

    deliverable: Deliverable
    overdue: bool
    drafts: dict[str, int]  # language -> newest revision
    waiting_for: list[str]
    moves: list[Status]  # the statuses a member may move it to


def member_moves(status: Status, published: bool = False) -> list[Status]:
    """The statuses the status table lets a member move a deliverable to from ``status``; one published once
    is not dropped any more (its items are out: a correction goes on instead)."""
    return [to for (frm, to), causes in TRANSITIONS.items() if frm == status and "member" in causes
            and not (published and to == Status.DROPPED)]


def cards(conn: Connection, project: Project, today: date, organization: str = "", language: str = "") -> list[Card]:
    found = []
    for d in list_deliverables(conn, project.id):
        if organization and d.assignee != organization:
            continue
        if language and language not in d.languages:
            continue
        waiting = approval_state(conn, project, d)["waiting_for"] if d.status == Status.IN_REVIEW else []
        found.append(Card(d, d.overdue(today), latest_numbers(conn, d.id), waiting,
                          member_moves(d.status, d.published_at is not None)))
    return found


def timeline(found: list[Card], today: date) -> list[tuple[str, Card]]:
    """The dated cards by due day, each marked "past" or "coming" (the page draws today between them),
    then the undated ones ("undated"); dropped deliverables stay off the timeline."""
    live = [c for c in found if c.deliverable.status != Status.DROPPED]
    dated = sorted((c for c in live if c.deliverable.due), key=lambda c: (c.deliverable.due, c.deliverable.title))
    return ([("past" if c.deliverable.due < today else "coming", c) for c in dated]  # type: ignore[operator]
            + [("undated", c) for c in live if not c.deliverable.due])


def assignable(conn: Connection, project: Project) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(slug, name, [(e-mail, member name)]) of each participant, for the assignment form."""
    return [(o.slug, o.name, [(m.email, m.name) for m in list_members(conn, o.slug)]) for o in project.participants]


def isolated(text: str) -> str:
    """``text`` set apart from the sentence around it (Unicode first-strong isolate): an English title or
    name in a Persian line keeps its own direction, and its punctuation and the quotes around it stay
    where they belong. Plain characters, so the live pages' text (textContent) isolates alike."""
    return f"\u2068{text}\u2069" if text else text


def names_of(organizations: Iterable[Any]) -> list[str]:
    """The organizations' names, each isolated, for ``words()`` lists in a page of either direction."""
    return [isolated(o.name) for o in organizations]


ACTOR = re.compile(r"(.+) \(([^()]+)\)")  # "Reza Tehrani (irna)": a member's name and organization (member_label)


def isolated_actor(label: str) -> str:
    """A member's label with the name and the organization isolated apart: "رضا تهرانی (irna)" keeps the
    name first in an English line as in a Persian one, instead of reading as one right-to-left run."""
    found = ACTOR.fullmatch(label)
    return f"{isolated(found[1])} ({isolated(found[2])})" if found else isolated(label)


def event_words(event: ProjectEvent, titles: dict[str, str]) -> dict[str, str]:
    return {"actor": isolated_actor(event.actor), "title": isolated(titles.get(event.deliverable_id or "", ""))}


def newest_event_id(conn: Connection, project: Project) -> int:
    """The id of the project's newest event: a page's live stream goes on from there (nothing missed between)."""
    found = list_events(conn, project.id, 0, 1_000_000)
    return found[-1].id if found else 0


def recent_events(conn: Connection, project: Project, limit: int = 15) -> list[ProjectEvent]:
    newest = list_events(conn, project.id, 0, 10_000)
    return list(reversed(newest[-limit:]))


def translations(conn: Connection, d: Deliverable) -> list[dict[str, Any]]:
    """Each language version: its newest revision, who saved it, and whether its source changed since."""
    numbers = latest_numbers(conn, d.id)
    rows = []
    for lang in d.languages:
        revisions = list_revisions(conn, d, lang) if lang in numbers else []
        latest = revisions[-1] if revisions else None
        source = numbers.get(d.source_language)
        changed = (lang != d.source_language and latest is not None and source is not None
                   and (latest.source_revision or 0) < source)
        rows.append({"language": lang, "latest": latest, "source": lang == d.source_language,
                     "source_changed": changed, "made_from": latest.source_revision if latest else None})
    return rows


def readable(diff: dict[str, Any]) -> dict[str, Any]:
    """A word diff as the page shows it: markup tokens become spaces (a changed paragraph break is no word)."""
    fields = {}
    for name, runs in diff["fields"].items():
        shown = [{"op": r["op"], "text": TAG.sub(" ", r["text"])} for r in runs]
        fields[name] = [r for r in shown if r["text"].strip() or r["op"] == "equal"]
    return {**diff, "fields": fields}


def last_reset(conn: Connection, project: Project, d: Deliverable) -> ProjectEvent | None:
    """The newest approvals reset of the deliverable, unless approvals were given again since."""
    found = None
    for event in list_events(conn, project.id, 0, 10_000):
        if event.deliverable_id == d.id and event.type == "project.approvals_reset":
            found = event
        elif event.deliverable_id == d.id and event.type == "project.approval_given":
            found = None
    return found


def deliverable_context(conn: Connection, who: Viewer, project: Project, d: Deliverable, language: str,
                        diff_from: int | None, diff_to: int | None, today: date) -> dict[str, Any]:
    revisions = list_revisions(conn, d, language)
    latest = revisions[-1] if revisions else None
    diff = None
    by_number = {r.number: r for r in revisions}
    if len(revisions) > 1:
        newer = by_number.get(diff_to or 0) or revisions[-1]
        older = by_number.get(diff_from or 0) or revisions[max(0, revisions.index(newer) - 1)]
        if older.number > newer.number:
            older, newer = newer, older
        diff = readable(diff_revisions(older, newer)) if older.number != newer.number else None
    side = project.side(who.organization)
    state = approval_state(conn, project, d)
    attached = {str(m.get("href", "")).rsplit(":", 1)[-1] for m in (latest.content.media if latest else ())}
    mine_done = side is not None and side.slug not in state["waiting_for"]
    return {
        "project": project, "d": d, "language": language, "revisions": revisions, "latest": latest, "diff": diff,
        "translations": translations(conn, d), "comments": list_comments(conn, d, language),
        "approvals": list_approvals(conn, d.id), "waiting_for": state["waiting_for"],
        "participant": side is not None and side.role == "participant", "my_side": side,
        "may_approve": (side is not None and side.role == "participant" and who.may("publish")
                        and d.status == Status.IN_REVIEW and not mine_done),
        "may_publish": side is not None and side.role == "participant" and who.may("publish")
        and d.status == Status.APPROVED,
        "people": assignable(conn, project), "our_media": recent_media(conn, who.organization),
        "attached": attached,
        # the file names of the draft's media (the draft keeps links; a participant's own media show names)
        "media_names": {i: m.filename for i, m in media_by_id(conn, attached).items() if m.filename},
        "video": d.kind in VIDEO_KINDS, "overdue": d.overdue(today), "moves": member_moves(d.status, d.published_at is not None),
        "publications": list_publications(conn, d.id), "reset": last_reset(conn, project, d),
        "credit_line": credit_line(project), "newest_event": newest_event_id(conn, project),
        # a published deliverable stays editable: a change is a correction, approved by all again (publication.py)
        "editable": d.status in (Status.IDEA, Status.ASSIGNED, Status.IN_PROGRESS, Status.IN_REVIEW,
                                 Status.APPROVED, Status.PUBLISHED),
    }


KIND_CHOICES = KINDS
