"""Joint publication: an approved deliverable becomes one item per language, delivered to all co-producers.

Each item is stored through the items services as an item of the project's lead (uri
``urn:newsbridge:project:<project>:<deliverable>:<language>``), with the joint byline and credit
line ("Kazinform and IRNA joint project"), ninjs ``infoSources`` naming every co-producer, and the
media every participant attached to the draft (each served as its owner's terms allow the reader,
media/links.py ``lent_media``). Who receives it is joint_delivery.py's.

A published deliverable can be corrected: a draft change sends it back to review, every participant
approves again, and the same ``publish`` then stores a new version of each item whose draft changed
(ninjs ``version`` + 1, ``firstCreated`` kept, a new ``versionCreated``), delivered as a correction
(``item.updated``) to everyone who received it. ``project_publications`` keeps each item's newest
version and the draft revision it was made from; the item's versions and the ``project.published``
events (``correction``: true) are the history.

Everything (items, deliveries, the deliverable's status, the event) is written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.db.engine import reading, writing
from newsbridge.db.project_tables import project_publications
from newsbridge.db.tables import item_versions
from newsbridge.errors import Conflict
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import JOINT_URI, Ingestor
from newsbridge.items.store import Prepared, store_version
from newsbridge.media.links import MEDIA_URN, link_media
from newsbridge.media.records import media_by_id
from newsbridge.projects.deliverables import Deliverable, Status, get_deliverable, move
from newsbridge.projects.drafts import Revision, get_revision, latest_revision
from newsbridge.projects.events import record_event
from newsbridge.projects.joint_delivery import (COPRODUCER_REASON, SHARED_REASON, deliver_correction,  # noqa: F401
                                                deliver_first, read_joint_reason)  # (the reasons: read here too)
from newsbridge.projects.projects import Actor, Project, editor_member, get_project, participant_side

ITEM_TYPE = {"article": "text", "photo_set": "composite", "video_report": "video",
             "documentary_episode": "video", "series_part": "video"}
SHOTLIST_ROLE = "shotlist"  # the body role the desk's media pages read a shot list from


@dataclass
class Published:
    items: dict[str, str]  # language -> item id (every published language, changed or not)
    versions: dict[str, int] = field(default_factory=dict)  # language -> the item's newest version
    correction: bool = False  # the deliverable was published before: this published its correction
    corrected: list[str] = field(default_factory=list)  # languages whose item got a new version now
    delivered_to: list[str] = field(default_factory=list)  # slugs of co-producers
    shared_with: list[str] = field(default_factory=list)  # slugs of other partners
    not_delivered: dict[str, str] = field(default_factory=dict)  # kept for clients: every co-producer is delivered
    media_left_out: list[str] = field(default_factory=list)  # media ids of no participant

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "versions": self.versions, "correction": self.correction,
                "corrected": self.corrected, "delivered_to": self.delivered_to, "shared_with": self.shared_with,
                "not_delivered": self.not_delivered, "media_left_out": self.media_left_out}


@dataclass(frozen=True)
class Publication:
    """The item one language of a deliverable became, at its newest version."""

    language: str
    item_id: str
    version: int
    revision: int | None  # the draft revision the newest version was made from
    published_at: datetime  # first published
    corrected_at: datetime | None  # the newest version's correction

    def to_json(self) -> dict[str, Any]:
        return {"language": self.language, "item": self.item_id, "version": self.version, "revision": self.revision,
                "published_at": self.published_at.isoformat(),
                "corrected_at": self.corrected_at.isoformat() if self.corrected_at else None}


def joint_names(project: Project) -> str:
    """The co-producers' credit names, lead first: "Kazinform and IRNA", "A, B and C"."""
    names = [project.lead.credit_name] + [o.credit_name for o in project.participants if not o.lead]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def credit_line(project: Project) -> str:
    return f"{joint_names(project)} joint project"


def item_uri(project: Project, deliverable: Deliverable, language: str) -> str:
    return f"{JOINT_URI}{project.id}:{deliverable.id}:{language}"


def _media(conn: Connection, project: Project, revision: Revision) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    """Associations for the media the participants (or their outlets) attached; the ids linked; the ids
    left out (media of no participant, or gone)."""
    sides = {o.id for o in project.participants}
    named = [str(e.get("href", "")) for e in revision.content.media]
    found = media_by_id(conn, (h.removeprefix(MEDIA_URN) for h in named if h.startswith(MEDIA_URN)))
    associations, linked, left_out = [], set(), []
    for index, (entry, href) in enumerate(zip(revision.content.media, named), start=1):
        media_id = href.removeprefix(MEDIA_URN)
        media = found.get(media_id) if href.startswith(MEDIA_URN) else None
        owner = get_organization_by_id(conn, media.organization_id) if media is not None else None
        if media is None or owner is None or not ({owner.id, owner.parent_id} & sides):
            left_out.append(media_id)
            continue
        linked.add(media_id)
        associations.append({"name": f"media{index}", "type": media.kind if media.kind in ITEM_TYPE.values() or
                             media.kind in ("picture", "audio", "graphic") else "picture", "renditions": [entry]})
    return associations, linked, left_out


def build_item(project: Project, deliverable: Deliverable, revision: Revision, associations: list[dict[str, Any]],
               first_published: datetime | None = None, now: datetime | None = None) -> Item:
    """The ninjs-shaped item of one language of a deliverable (a correction keeps ``firstcreated``)."""
    content = revision.content
    extra: dict[str, Any] = {"infoSources": [
        {"name": o.credit_name, "uri": f"urn:newsbridge:organization:{o.slug}",
         "role": "lead producer" if o.lead else "co-producer"} for o in
        sorted(project.participants, key=lambda o: (not o.lead, o.slug))]}
    if content.shot_list:
        lines = [f"{s.get('start', '')} {s['description']}".strip() for s in content.shot_list]
        extra["bodies"] = [{"role": SHOTLIST_ROLE, "contentType": "text/plain", "value": "\n".join(lines)}]
    now = now or utcnow()
    return Item(uri=item_uri(project, deliverable, revision.language), type=ITEM_TYPE[deliverable.kind],
                firstcreated=first_published or now, versioncreated=now, language=revision.language,
                headline=content.headline or deliverable.title, description=content.lead or None,
                body_html=content.body_html or None, byline=joint_names(project),
                copyrightholder=joint_names(project), usageterms=f"{credit_line(project)}.",
                associations=associations, extra=extra)


def publications(conn: Connection, deliverable_id: str) -> list[Publication]:
    """The items of a published deliverable, one per language, at their newest version."""
    rows = conn.execute(sa.select(project_publications).where(project_publications.c.deliverable_id == deliverable_id)
                        .order_by(project_publications.c.language))
    return [Publication(r.language, r.item_id, r.version, r.revision, r.published_at, r.corrected_at) for r in rows]


def list_publications(conn: Connection, deliverable_id: str) -> dict[str, str]:
    return {p.language: p.item_id for p in publications(conn, deliverable_id)}


def _check(project: Project, deliverable: Deliverable, actor: Actor) -> None:
    participant_side(project, actor)
    editor_member(actor, "publication")
    if deliverable.status != Status.APPROVED:
        raise Conflict(f"the deliverable is {deliverable.status.value}; it is published once every participating "
                       "organization approved it (a correction too: change a draft, then all approve again)",
                       field="status")


def _first_created(conn: Connection, publication: Publication) -> datetime:
    """When the item was first published, as its newest version says (a correction keeps it)."""
    document = conn.execute(sa.select(item_versions.c.document).where(
        item_versions.c.item_id == publication.item_id, item_versions.c.version == publication.version)).scalar()
    try:
        return datetime.fromisoformat(str((document or {})["firstCreated"]))
    except (KeyError, TypeError, ValueError):
        return publication.published_at


def _changed(conn: Connection, deliverable: Deliverable, before: Publication | None, revision: Revision) -> bool:
    """Whether the language's draft differs from what its item shows (always, for a language not published)."""
    if before is None or before.revision is None:
        return True
    if before.revision == revision.number:
        return False
    return get_revision(conn, deliverable, revision.language, before.revision).content != revision.content


def publish(engine: Engine, ingestor: Ingestor, project_id: str, deliverable_id: str, actor: Actor) -> Published:
    """Publish an approved deliverable jointly, or its correction once it is approved again (see the
    module's docstring); returns what was made."""
    with reading(engine) as conn:
        project = get_project(conn, actor.organization, project_id)
        deliverable = get_deliverable(conn, project, deliverable_id)
        _check(project, deliverable, actor)
        lead = get_organization_by_id(conn, project.lead_id)
        revisions = {lang: latest_revision(conn, deliverable.id, lang) for lang in deliverable.languages}
        if missing := [lang for lang, r in revisions.items() if r is None]:
            raise Conflict(f"the {', '.join(missing)} draft is not written", field="language")
        before = {p.language: p for p in publications(conn, deliverable.id)}
        changed = {lang: r for lang, r in revisions.items()
                   if r is not None and _changed(conn, deliverable, before.get(lang), r)}
        media = {lang: _media(conn, project, r) for lang, r in changed.items()}
        first = {lang: _first_created(conn, before[lang]) for lang in changed if lang in before}
    result = Published(items={}, correction=bool(before))
    now = utcnow()
    prepared: dict[str, tuple[Prepared, int]] = {}
    for lang, revision in changed.items():
        associations, linked, left_out = media[lang]
        result.media_left_out += [m for m in left_out if m not in result.media_left_out]
        item = build_item(project, deliverable, revision, associations, first.get(lang), now)
        prepared[lang] = (ingestor.prepare(lead, item), revision.number)
        link_media(engine, lead, item.uri or "", linked)  # before the store, as items/media do it
    with writing(engine) as conn:
        project = get_project(conn, actor.organization, project_id, for_update=True)
        deliverable = get_deliverable(conn, project, deliverable_id)
        _check(project, deliverable, actor)  # a change meanwhile sent it back to review: nothing is stored
        credit = credit_line(project)
        for lang, (ready, number) in prepared.items():
            stored = store_version(conn, lead.id, ready)
            if lang in before:
                deliver_correction(conn, project, lead, stored.item_id, stored.version, credit, result, now)
                conn.execute(project_publications.update().where(
                    project_publications.c.deliverable_id == deliverable.id, project_publications.c.language == lang)
                    .values(item_id=stored.item_id, version=stored.version, revision=number, corrected_at=now))
                result.corrected.append(lang)
            else:
                deliver_first(conn, project, lead, stored.item_id, stored.version, ready.item, credit, result, now)
                conn.execute(project_publications.insert().values(
                    deliverable_id=deliverable.id, language=lang, item_id=stored.item_id, version=stored.version,
                    revision=number, published_at=now))
        for p in publications(conn, deliverable.id):
            result.items[p.language], result.versions[p.language] = p.item_id, p.version
        move(conn, project, deliverable, Status.PUBLISHED, "publication", actor)
        record_event(conn, project.id, deliverable.id, "project.published", actor,
                     {**result.to_json(), "credit_line": credit})
    if ingestor.on_stored is not None:
        ingestor.on_stored()  # wake the delivery worker of this process
    return result
