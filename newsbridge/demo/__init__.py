"""The demo hub: real cooperating organizations, their people and keys, and the source articles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.delivery.outbox import sequence
from newsbridge.demo.cooperations import SEED_SUBJECTS, cooperations
from newsbridge.demo.glossary import load_demo_glossaries
from newsbridge.demo.history import HistoryReport, generate_history
from newsbridge.demo.media import load_demo_media
from newsbridge.demo.projects import load_demo_project
from newsbridge.demo.stories import CORRIDOR_STORY, PICKUPS, STORIES
from newsbridge.desk.pickups import record_pickup
from newsbridge.ids import utcnow
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.stories.worker import StoryWorker

# (slug, name, parent, country, languages, time zone, credit name)
ORGANIZATIONS = [
    ("krtc", "TV and Radio Complex of the Kazakh President", None, "KZ", ["kk", "ru", "en"], "Asia/Almaty",
     "TV and Radio Complex of the President of Kazakhstan"),
    ("kazinform", "Kazinform International News Agency", "krtc", "KZ", ["kk", "ru", "en"], "Asia/Almaty", "Kazinform"),
    ("jibek-joly", "Jibek Joly TV", "krtc", "KZ", ["kk"], "Asia/Almaty", "Jibek Joly"),
    ("silk-way-tv", "Silk Way TV", "krtc", "KZ", ["en", "ru", "kk"], "Asia/Almaty", "Silk Way TV"),
    ("documentary-films", "Center for Documentary Films", "krtc", "KZ", ["kk", "ru"], "Asia/Almaty",
     "Center for Documentary Films"),
    ("irna", "Islamic Republic News Agency (IRNA)", None, "IR", ["fa", "en"], "Asia/Tehran", "IRNA"),
    ("parstoday", "Pars Today", None, "IR", ["fa", "en", "ru"], "Asia/Tehran", "Pars Today"),
    ("ria", "Rossiya Segodnya (RIA Novosti)", None, "RU", ["ru", "en"], "Europe/Moscow", "RIA Novosti"),
]
# (organization, e-mail, name, role)
MEMBERS = [
    ("kazinform", "admin@kazinform.example", "Aigerim Admin", "admin"),
    ("kazinform", "editor@kazinform.example", "Nurlan Editor", "editor"),
    ("irna", "admin@irna.example", "Maryam Admin", "admin"),
    ("irna", "editor@irna.example", "Reza Editor", "editor"),
]
SEEDS = [("kazinform", "kazinform-2023-04-26.txt"), ("parstoday", "parstoday-2018-07-12.txt")]
KEYED = ["krtc", "kazinform", "irna", "parstoday", "ria"]


@dataclass
class DemoReport:
    """What was created; passwords and keys exist only here and are shown once."""

    members: list[tuple[str, str, str, str]] = field(default_factory=list)  # org, email, role, password
    keys: list[tuple[str, str]] = field(default_factory=list)  # org, key
    items: list[tuple[str, str, str]] = field(default_factory=list)  # org, item id, file (or what the media is)
    agreements: list[str] = field(default_factory=list)  # titles
    history: HistoryReport = field(default_factory=HistoryReport)  # 18 months generated (history.py)


def seed_text(name: str) -> bytes:
    return resources.files("newsbridge.demo").joinpath("seeds", name).read_bytes()


def load_demo(engine: Engine, ingestor: Ingestor) -> DemoReport:
    """Fill an empty, migrated database with the demo partners, their signed agreements and
    roadmaps, and ingest the seed articles, stories and media (a Silk Way TV video report, a
    Kazinform photo), which are then routed under those agreements. Before them: 18 months of
    generated exchange history (history.py); the worker measures the roadmaps' commitments."""
    report = DemoReport()
    now = utcnow()
    with writing(engine) as conn:
        for slug, name, parent, country, languages, zone, credit in ORGANIZATIONS:
            create_organization(conn, slug, name, parent=parent, country=country, languages=languages,
                                timezone=zone, credit_name=credit)
        for org, email, name, role in MEMBERS:
            password = secrets.token_urlsafe(12)
            add_member(conn, org, email, name, role, password)
            report.members.append((org, email, role, password))
        for org in KEYED:
            _key, raw = create_api_key(conn, org, ("publish", "read", "manage"), label="demo")
            report.keys.append((org, raw))
        for body in cooperations(now.date()):
            proposer = get_organization(conn, body["parties"][0])
            agreement = create_agreement(conn, proposer, "demo", body)
            act(conn, agreement.id, Action.PROPOSE, proposer, "demo")
            for slug in body["parties"]:
                act(conn, agreement.id, Action.SIGN, get_organization(conn, slug), "demo")
            report.agreements.append(agreement.title)
        load_demo_glossaries(conn)
    with writing(engine) as conn:
        report.history = generate_history(conn, now.date(), now)
    for org_slug, filename in SEEDS:
        with reading(engine) as conn:
            org = get_organization(conn, org_slug)
        for stored in ingestor.ingest_document(org, seed_text(filename), SEED_SUBJECTS[filename]):
            report.items.append((org_slug, stored.item_id, filename))
    ids: dict[str, str] = {}
    # received in the order they were published, as a live hub receives them: the desk lists by receipt
    for org_slug, story in sorted(STORIES + CORRIDOR_STORY, key=lambda published: published[1].versioncreated or now):
        with reading(engine) as conn:
            org = get_organization(conn, org_slug)
        ids[story.uri or ""] = ingestor.ingest_item(org, story).item_id
    report.items += load_demo_media(engine, ingestor, ingestor.settings)
    report.items += load_demo_project(engine, ingestor, now.date()).report_rows()
    with writing(engine) as conn:
        sequence(conn, utcnow())  # what the worker does first: the deliveries enter partners' feeds
        for org_slug, uri, url in PICKUPS:
            record_pickup(conn, get_organization(conn, org_slug), None, ids[uri], url, "demo")
    # the corridor story grouped and Kazinform's credited translation detected as a pickup now, so
    # the desk shows them at once (the story worker reaches the history's items while the hub serves)
    StoryWorker(engine).run_items([ids[item.uri or ""] for _, item in CORRIDOR_STORY])
    return report
