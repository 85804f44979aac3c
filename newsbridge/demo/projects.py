"""The demo's joint project: a documentary series of Kazinform and IRNA on the cultural ties of
Kazakhstan and Iran, made through the same services the API calls.

Episode 1 is published (its Kazakh and Persian items delivered to IRNA), episode 2 is in review
with a comment thread (a mention, a reply, one resolved) and IRNA's approval given, episode 3 is
overdue with only its Kazakh draft, and a behind-the-scenes article is still an idea. The roadmap
commitment "Documentary on the cultural ties between Kazakhstan and Iran" is measured by the
project's published deliverables.

(Offered by helper G, not committed: helper H owns this file. To use it, call it from load_demo
before the final sequence(): ``joint = load_demo_project(engine, ingestor, now.date())`` and add
``joint.published_items`` to report.items. A test: /tmp/g_demo_offer/test_demo_project.py (passes on
both databases); tests/test_demo.py then needs the Kazakhstan–Iran measured states to be
{"on_track", "off_track"}, "Launch joint projects and joint production" off_track: 1 of 4 published,
episode 3 overdue.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.exchange.agreements import all_agreement_ids, load_agreement
from newsbridge.exchange.roadmap import list_commitments, update_commitment
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.projects.approvals import approve
from newsbridge.projects.comments import add_comment, resolve_comment
from newsbridge.projects.deliverables import Status, add_deliverable, get_deliverable, move
from newsbridge.projects.drafts import DraftContent, DraftSave, save_draft
from newsbridge.projects.projects import Actor, actor_for, create_project, get_project
from newsbridge.projects.publication import publish

AGREEMENT = "Kazakhstan–Iran media cooperation (TV and Radio Complex – IRNA)"
COMMITMENT = "Documentary on the cultural ties between Kazakhstan and Iran"
KAZINFORM, IRNA = ("kazinform", "editor@kazinform.example"), ("irna", "editor@irna.example")

# (title, due in days from today, drafts {language: (headline, lead, body, shots)})
EPISODES = [
    ("Episode 1: The caravan roads", -30, {
        "kk": ("Керуен жолдары", "Ұлы Жібек жолы Қазақстан мен Иранды ғасырлар бойы байланыстырды.",
               "<p>Түркістаннан Нишапурға дейінгі керуен сарайлары бүгін де сақталған.</p>"
               "<p>Саудагерлер жібек, тұз және кітап тасыды.</p>",
               [("00:00:05", "Түркістандағы керуен сарайы, таң"), ("00:01:10", "Нишапур базары")]),
        "fa": ("راه‌های کاروان", "جاده ابریشم قرن‌ها قزاقستان و ایران را به هم پیوند داده است.",
               "<p>کاروانسراهای میان ترکستان و نیشابور هنوز پابرجا هستند.</p>"
               "<p>بازرگانان ابریشم، نمک و کتاب می‌بردند.</p>",
               [("00:00:05", "کاروانسرا در ترکستان، سپیده‌دم"), ("00:01:10", "بازار نیشابور")]),
    }),
    ("Episode 2: Poets of two shores", 14, {
        "kk": ("Екі жағалаудың ақындары", "Абай мен Хафиз: бір-бірін оқыған екі дәстүр.",
               "<p>Абай Құнанбайұлы парсы поэзиясын түпнұсқадан оқыды.</p>", [("00:00:12", "Абай мұражайы")]),
        "fa": ("شاعران دو ساحل", "آبای و حافظ: دو سنتی که یکدیگر را خواندند.",
               "<p>آبای قونانبای‌اولی شعر فارسی را به زبان اصلی می‌خواند.</p>", [("00:00:12", "موزه آبای")]),
    }),
    ("Episode 3: Nauryz in Almaty and Tehran", -5, {
        "kk": ("Наурыз Алматы мен Тегеранда", "Көктем мерекесі екі елде қалай тойланады.",
               "<p>Наурыз көже мен хафт-син дастарқаны.</p>", []),
    }),
]


@dataclass
class DemoProject:
    project_id: str
    published_items: dict[str, str]  # language -> item id of episode 1

    def report_rows(self) -> list[tuple[str, str, str]]:
        """The published items as the demo's report lists items: (organization, item id, what)."""
        return [("kazinform", item_id, f"joint project, episode 1 ({language})")
                for language, item_id in sorted(self.published_items.items())]


def _actor(engine: Engine, who: tuple[str, str]) -> Actor:
    with reading(engine) as conn:
        org = get_organization(conn, who[0])
        return actor_for(conn, org, who[1], "demo")


def _draft(headline: str, lead: str, body: str, shots: list[tuple[str, str]]) -> DraftContent:
    return DraftContent(headline, lead, body, tuple({"start": t, "description": d} for t, d in shots))


def load_demo_project(engine: Engine, ingestor: Ingestor, today: date) -> DemoProject:
    """Create the demo's joint documentary project with its deliverables in every state."""
    kazinform, irna = _actor(engine, KAZINFORM), _actor(engine, IRNA)
    with reading(engine) as conn:
        agreement_id = next(a for a in all_agreement_ids(conn) if load_agreement(conn, a).title == AGREEMENT)
    with writing(engine) as conn:
        project = create_project(conn, kazinform, {
            "title": "Silk Way: Kazakhstan and Iran", "agreement": agreement_id,
            "description": "A documentary series on the cultural ties between Kazakhstan and Iran, filmed in "
                           "the Jibek Joly and Silk Way TV studios and in Tehran.",
            "participants": ["kazinform", "irna"], "lead": "kazinform", "languages": ["kk", "fa"],
            "starts": (today - timedelta(days=90)).isoformat(), "ends": (today + timedelta(days=240)).isoformat()})
        ids = []
        for title, due, _drafts in EPISODES:
            assignee = ("irna", IRNA[1]) if "Nauryz" in title else ("kazinform", KAZINFORM[1])
            ids.append(add_deliverable(conn, project, kazinform, {
                "title": title, "kind": "documentary_episode", "assignee": assignee[0],
                "assignee_member": assignee[1], "due": (today + timedelta(days=due)).isoformat()}).id)
        add_deliverable(conn, project, irna, {"title": "Behind the scenes: two crews, one film", "kind": "article",
                                              "languages": ["fa", "kk"], "source_language": "fa"})
        _link_commitment(conn, agreement_id, project.id, today)
    for deliverable_id, (_title, _due, drafts) in zip(ids, EPISODES):
        for language, (headline, lead, body, shots) in drafts.items():
            writer = kazinform if language == "kk" else irna
            with writing(engine) as conn:
                project = get_project(conn, writer.organization, project.id)
                save_draft(conn, project, get_deliverable(conn, project, deliverable_id), language, writer,
                           DraftSave(_draft(headline, lead, body, shots), 0))
    first, second, _third = ids
    with writing(engine) as conn:
        project = get_project(conn, kazinform.organization, project.id)
        for deliverable_id in (first, second):
            move(conn, project, get_deliverable(conn, project, deliverable_id), Status.IN_REVIEW, "member", kazinform)
        for who in (irna, kazinform):
            approve(conn, project, get_deliverable(conn, project, first), who)
        second_one = get_deliverable(conn, project, second)
        question = add_comment(conn, project, second_one, "kk", 1, irna, {
            "body": "@editor@kazinform.example could the opening name the year Abai translated Hafiz?"})
        add_comment(conn, project, second_one, "kk", 1, kazinform, {
            "body": "Checked with the museum: 1886. Added in the voice-over.", "parent": question.id})
        fixed = add_comment(conn, project, second_one, "fa", 1, kazinform, {
            "body": "The Persian lead reads well; please keep the shot list times as in Kazakh."})
        resolve_comment(conn, project, second_one, fixed.id, irna)
        approve(conn, project, second_one, irna)
    published = publish(engine, ingestor, project.id, first, kazinform)
    return DemoProject(project.id, published.items)


def _link_commitment(conn: Connection, agreement_id: str, project_id: str, today: date) -> None:
    """The roadmap commitment the project fulfils is measured by its deliverables."""
    agreement = load_agreement(conn, agreement_id)
    commitment = next(c for c in list_commitments(conn, agreement_id) if c.title == COMMITMENT)
    due = commitment.due or today + timedelta(days=240)
    update_commitment(conn, agreement_id, [p.id for p in agreement.parties], commitment.id, {"indicator": {
        "kind": "deliverables", "at_least": 3, "by": due.isoformat(), "projects": [project_id]}},
        get_organization(conn, "krtc"), "demo")
