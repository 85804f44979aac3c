"""Joint publication: an approved deliverable becomes one item per language, delivered to all co-producers.

Each item is stored through the items services as an item of the project's lead (uri
``urn:newsbridge:project:<project>:<deliverable>:<language>``), with the joint byline and credit
line ("Kazinform and IRNA joint project") and ninjs ``infoSources`` naming every co-producer. It
is not routed by the lead's agreements like its other items: it goes

* to every other participant, under the project's agreement (or, for a project made without one,
  an agreement the participant shares with the lead), with the reason "joint project 'P': you
  co-produced it";
* when the project shares with partners, to each participant's other partners, under that
  participant's agreements and their terms (topics, languages, delay), with the reason
  "joint project 'P' (shared by X): ..." and the routing sentence of the agreement.

Everything (items, deliveries, the deliverable's status, the event) is written in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.db.engine import reading, writing
from newsbridge.db.project_tables import project_publications
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import agreement_parties, deliveries
from newsbridge.errors import Conflict
from newsbridge.exchange.agreements import visible_agreement_ids
from newsbridge.exchange.deliveries import load_rules, routable
from newsbridge.exchange.routing import route
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.store import Prepared, store_version
from newsbridge.media.links import MEDIA_URN, link_media
from newsbridge.media.records import get_media
from newsbridge.projects.deliverables import Deliverable, Status, get_deliverable, move
from newsbridge.projects.drafts import Revision, latest_revision
from newsbridge.projects.events import record_event
from newsbridge.projects.projects import Actor, Project, editor_member, get_project, participant_side

# The delivery reasons joint publication writes (English, stored with each delivery, sent by the API);
# the desk reads them back with read_joint_reason to word them in the member's language.
COPRODUCER_REASON = "joint project '{title}': you co-produced it"
SHARED_REASON = "joint project '{title}' (shared by {partner}): {reason}"
_COPRODUCER = re.compile(r"^joint project '(?P<title>.*)': you co-produced it$", re.DOTALL)
_SHARED = re.compile(r"^joint project '(?P<title>.*)' \(shared by (?P<partner>[a-z0-9-]+)\): (?P<reason>.*)$",
                     re.DOTALL)
ITEM_TYPE = {"article": "text", "photo_set": "composite", "video_report": "video",
             "documentary_episode": "video", "series_part": "video"}
SHOTLIST_ROLE = "shotlist"  # the body role the desk's media pages read a shot list from


@dataclass
class Published:
    items: dict[str, str]  # language -> item id
    delivered_to: list[str] = field(default_factory=list)  # slugs of co-producers
    shared_with: list[str] = field(default_factory=list)  # slugs of other partners
    not_delivered: dict[str, str] = field(default_factory=dict)  # co-producer slug -> why
    media_left_out: list[str] = field(default_factory=list)  # media ids of other participants than the lead

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "delivered_to": self.delivered_to, "shared_with": self.shared_with,
                "not_delivered": self.not_delivered, "media_left_out": self.media_left_out}


def read_joint_reason(text: str) -> tuple[str, str | None, str | None] | None:
    """(project title, sharing partner's slug or None, the agreement's routing sentence or None) of a
    reason joint publication wrote; None for any other reason."""
    if found := _COPRODUCER.match(text):
        return found["title"], None, None
    if found := _SHARED.match(text):
        return found["title"], found["partner"], found["reason"]
    return None


def joint_names(project: Project) -> str:
    """The co-producers' credit names, lead first: "Kazinform and IRNA", "A, B and C"."""
    names = [project.lead.credit_name] + [o.credit_name for o in project.participants if not o.lead]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def credit_line(project: Project) -> str:
    return f"{joint_names(project)} joint project"


def item_uri(project: Project, deliverable: Deliverable, language: str) -> str:
    return f"urn:newsbridge:project:{project.id}:{deliverable.id}:{language}"


def _media(conn: Connection, project: Project, revision: Revision) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    """Associations for the lead's media; the ids linked; the ids left out (another participant's)."""
    associations, linked, left_out = [], set(), []
    for index, entry in enumerate(revision.content.media, start=1):
        href = str(entry.get("href", ""))
        media_id = href.removeprefix(MEDIA_URN)
        media = get_media(conn, media_id) if href.startswith(MEDIA_URN) else None
        if media is None or media.organization_id != project.lead_id:
            left_out.append(media_id)
            continue
        linked.add(media_id)
        associations.append({"name": f"media{index}", "type": media.kind if media.kind in ITEM_TYPE.values() or
                             media.kind in ("picture", "audio", "graphic") else "picture", "renditions": [entry]})
    return associations, linked, left_out


def build_item(project: Project, deliverable: Deliverable, revision: Revision,
               associations: list[dict[str, Any]]) -> Item:
    """The ninjs-shaped item of one language of a deliverable."""
    content = revision.content
    extra: dict[str, Any] = {"infoSources": [
        {"name": o.credit_name, "uri": f"urn:newsbridge:organization:{o.slug}",
         "role": "lead producer" if o.lead else "co-producer"} for o in
        sorted(project.participants, key=lambda o: (not o.lead, o.slug))]}
    if content.shot_list:
        lines = [f"{s.get('start', '')} {s['description']}".strip() for s in content.shot_list]
        extra["bodies"] = [{"role": SHOTLIST_ROLE, "contentType": "text/plain", "value": "\n".join(lines)}]
    now = utcnow()
    return Item(uri=item_uri(project, deliverable, revision.language), type=ITEM_TYPE[deliverable.kind],
                firstcreated=now, versioncreated=now, language=revision.language,
                headline=content.headline or deliverable.title, description=content.lead or None,
                body_html=content.body_html or None, byline=joint_names(project),
                copyrightholder=joint_names(project), usageterms=f"{credit_line(project)}.",
                associations=associations, extra=extra)


def _shared_agreement(conn: Connection, project: Project, recipient: Organization, lead: Organization) -> str | None:
    if project.agreement_id:
        return project.agreement_id
    lead_ids = [lead.id] + ([lead.parent_id] if lead.parent_id else [])
    recipient_ids = [recipient.id] + ([recipient.parent_id] if recipient.parent_id else [])
    both = (sa.select(agreement_parties.c.agreement_id)
            .where(agreement_parties.c.organization_id.in_(recipient_ids),
                   agreement_parties.c.agreement_id.in_(visible_agreement_ids(lead_ids))))
    return conn.execute(both.limit(1)).scalar()


def _row(item_id: str, version: int, recipient_id: str, agreement_id: str, reason: str, credit: str, usage: str,
         available: datetime, now: datetime) -> dict[str, Any]:
    return {"item_id": item_id, "version": version, "recipient_id": recipient_id, "agreement_id": agreement_id,
            "reason": reason, "credit_line": credit, "usage_terms": usage, "available_from": available,
            "event": "item.published", "created_at": now, "arrives_at": max(now, available)}


def deliver(conn: Connection, project: Project, lead: Organization, item_id: str, version: int, item: Item,
            result: Published) -> None:
    """Record the deliveries of one published item: co-producers, then (if chosen) their partners."""
    now = utcnow()
    credit = credit_line(project)
    rows: list[dict[str, Any]] = []
    taken = {lead.id}
    orgs = {o.id: get_organization_by_id(conn, o.id) for o in project.participants}
    for side in project.participants:
        if side.id == lead.id:
            continue
        agreement_id = _shared_agreement(conn, project, orgs[side.id], lead)
        if agreement_id is None:
            result.not_delivered[side.slug] = (f"{side.slug} shares no agreement with {project.lead.slug}; it reads "
                                               f"the item in the project")
            continue
        rows.append(_row(item_id, version, side.id, agreement_id,
                         COPRODUCER_REASON.format(title=project.title), credit,
                         f"{credit}: every co-producer may publish it.", now, now))
        taken.add(side.id)
        if side.slug not in result.delivered_to:
            result.delivered_to.append(side.slug)
    if project.share_with_partners:
        participant_ids = set(orgs)
        for side in project.participants:
            org = orgs[side.id]
            decided = route(routable(item, item_id, version, org, now), load_rules(conn, org, now.date()),
                            today=now.date())
            for d in decided:
                if d.recipient_id in taken or d.recipient_id in participant_ids:
                    continue
                taken.add(d.recipient_id)
                rows.append(_row(item_id, version, d.recipient_id, d.agreement_id,
                                 SHARED_REASON.format(title=project.title, partner=side.slug, reason=d.reason),
                                 credit,
                                 d.usage_terms, d.available_from, now))
                slug = get_organization_by_id(conn, d.recipient_id).slug
                if slug not in result.shared_with:
                    result.shared_with.append(slug)
    if rows:
        conn.execute(deliveries.insert(), rows)
        mark_items_changed(conn, [item_id], now)


def list_publications(conn: Connection, deliverable_id: str) -> dict[str, str]:
    rows = conn.execute(sa.select(project_publications.c.language, project_publications.c.item_id)
                        .where(project_publications.c.deliverable_id == deliverable_id))
    return {lang: item_id for lang, item_id in rows}


def _check(project: Project, deliverable: Deliverable, actor: Actor) -> None:
    participant_side(project, actor)
    editor_member(actor, "publication")
    if deliverable.status != Status.APPROVED:
        raise Conflict(f"the deliverable is {deliverable.status.value}; it is published once every participating "
                       "organization approved it", field="status")


def publish(engine: Engine, ingestor: Ingestor, project_id: str, deliverable_id: str, actor: Actor) -> Published:
    """Publish an approved deliverable jointly (see the module's docstring); returns what was made."""
    with reading(engine) as conn:
        project = get_project(conn, actor.organization, project_id)
        deliverable = get_deliverable(conn, project, deliverable_id)
        _check(project, deliverable, actor)
        lead = get_organization_by_id(conn, project.lead_id)
        revisions = {lang: latest_revision(conn, deliverable.id, lang) for lang in deliverable.languages}
        if missing := [lang for lang, r in revisions.items() if r is None]:
            raise Conflict(f"the {', '.join(missing)} draft is not written", field="language")
        media = {lang: _media(conn, project, r) for lang, r in revisions.items() if r is not None}
    result = Published(items={})
    prepared: dict[str, Prepared] = {}
    for lang, revision in revisions.items():
        assert revision is not None
        associations, linked, left_out = media[lang]
        result.media_left_out += [m for m in left_out if m not in result.media_left_out]
        item = build_item(project, deliverable, revision, associations)
        prepared[lang] = ingestor.prepare(lead, item)
        link_media(engine, lead, item.uri or "", linked)  # before the store, as items/media do it
    with writing(engine) as conn:
        project = get_project(conn, actor.organization, project_id, for_update=True)
        deliverable = get_deliverable(conn, project, deliverable_id)
        _check(project, deliverable, actor)  # a change meanwhile sent it back to review: nothing is stored
        now = utcnow()
        for lang, ready in prepared.items():
            stored = store_version(conn, lead.id, ready)
            deliver(conn, project, lead, stored.item_id, stored.version, ready.item, result)
            conn.execute(project_publications.insert().values(deliverable_id=deliverable.id, language=lang,
                                                              item_id=stored.item_id, version=stored.version,
                                                              published_at=now))
            result.items[lang] = stored.item_id
        move(conn, project, deliverable, Status.PUBLISHED, "publication", actor)
        record_event(conn, project.id, deliverable.id, "project.published", actor,
                     {**result.to_json(), "credit_line": credit_line(project)})
    if ingestor.on_stored is not None:
        ingestor.on_stored()  # wake the delivery worker of this process
    return result
