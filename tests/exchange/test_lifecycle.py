"""The agreement lifecycle: the transition table, signatures, amendments, visibility and history.

The database tests run on real SQLite and PostgreSQL and ingest real items through the
pipeline, so "stops routing" means no delivery rows are written.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import agreements, deliveries
from newsbridge.errors import Conflict, Forbidden, InvalidInput, NotFound
from newsbridge.exchange.agreements import act, create_agreement, get_agreement, history, list_agreements
from newsbridge.exchange.lifecycle import TRANSITIONS, Action, Status, effective_status, next_status
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.vocab.mediatopics import topic_subject
from tests.conftest import count_rows

S, A = Status, Action

# The lifecycle as documented in docs/exchange.md, written out independently of the code's table.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.DRAFT, A.PROPOSE): S.PROPOSED,
    (S.DRAFT, A.AMEND): S.DRAFT,  # a draft nobody was asked to sign stays a draft
    (S.DRAFT, A.END): S.ENDED,
    (S.PROPOSED, A.SIGN): S.PROPOSED,
    (S.PROPOSED, A.AMEND): S.PROPOSED,
    (S.PROPOSED, A.END): S.ENDED,
    (S.PROPOSED, A.DECLINE): S.DRAFT,  # a party says no: back to draft, to amend and propose again
    (S.ACTIVE, A.AMEND): S.PROPOSED,
    (S.ACTIVE, A.SUSPEND): S.SUSPENDED,
    (S.ACTIVE, A.END): S.ENDED,
    (S.SUSPENDED, A.PROPOSE): S.PROPOSED,
    (S.SUSPENDED, A.AMEND): S.PROPOSED,
    (S.SUSPENDED, A.END): S.ENDED,
}
PAIRS = list(itertools.product(Status, Action))


def test_transition_table_is_the_documented_lifecycle() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("status, action", PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_status_and_action(status: Status, action: Action) -> None:
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[status, action]
    else:
        with pytest.raises(Conflict) as refused:
            next_status(status, action)
        assert (refused.value.status, refused.value.code, refused.value.field) == (409, "conflict", "status")
        assert status.value in refused.value.message and "agreement cannot be" in refused.value.message


def test_the_last_signature_activates() -> None:
    assert next_status(S.PROPOSED, A.SIGN, all_signed=True) is S.ACTIVE
    assert next_status(S.PROPOSED, A.SIGN, all_signed=False) is S.PROPOSED


@pytest.mark.parametrize("status", [s for s in Status if s not in (S.ENDED, S.EXPIRED)])
def test_every_stored_state_but_ended_can_end(status: Status) -> None:
    assert next_status(status, A.END) is S.ENDED


@pytest.mark.parametrize("status", [S.ENDED, S.EXPIRED])
def test_ended_and_expired_have_no_way_out(status: Status) -> None:
    assert not [a for a in Action if (status, a) in TRANSITIONS]


def test_ended_says_nothing_is_allowed() -> None:
    with pytest.raises(Conflict, match=r"nothing \(it has ended\)"):
        next_status(S.ENDED, A.PROPOSE)


TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("stored, valid_until, expected", [
    (S.ACTIVE, None, S.ACTIVE),
    (S.ACTIVE, TODAY, S.ACTIVE),  # the last valid day still counts
    (S.ACTIVE, TODAY - timedelta(days=1), S.EXPIRED),
    (S.ACTIVE, TODAY + timedelta(days=1), S.ACTIVE),
    (S.SUSPENDED, TODAY - timedelta(days=1), S.SUSPENDED),
    (S.PROPOSED, TODAY - timedelta(days=1), S.PROPOSED),
    (S.ENDED, TODAY - timedelta(days=1), S.ENDED),
    (S.DRAFT, TODAY - timedelta(days=1), S.DRAFT),
])
def test_effective_status(stored: Status, valid_until: date | None, expected: Status) -> None:
    assert effective_status(stored, valid_until, TODAY) is expected


# --- on the database ------------------------------------------------------------------------------------------

POLITICS, GOVERNMENT, SPORT = "medtop:11000000", "medtop:20000593", "medtop:15000000"


def body(parties: tuple[str, ...] = ("krtc", "irna"), **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"title": "Kazakhstan–Iran media cooperation", "parties": list(parties),
                            "terms": [{"from": "krtc", "topics": [POLITICS], "languages": ["en"]}]}
    return {**data, **changes}


@pytest.fixture
def orgs(make_partner):  # type: ignore[no-untyped-def]
    krtc = make_partner("krtc", country="KZ")
    return {
        "krtc": krtc.org,
        "kazinform": make_partner("kazinform", parent="krtc").org,
        "irna": make_partner("irna", country="IR").org,
        "ria": make_partner("ria").org,
        "sputnik": make_partner("sputnik", parent="ria").org,
        "stranger": make_partner("stranger").org,
    }


def create(engine, orgs, by: str = "krtc", data: dict[str, Any] | None = None) -> str:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        return create_agreement(conn, orgs[by], f"editor@{by}", data or body()).id


def do(engine, orgs, agreement_id: str, action: Action, by: str, data: Any = None):  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        return act(conn, agreement_id, action, orgs[by], f"editor@{by}", data)


def activate(engine, orgs, data: dict[str, Any] | None = None) -> str:  # type: ignore[no-untyped-def]
    agreement_id = create(engine, orgs, data=data)
    do(engine, orgs, agreement_id, A.PROPOSE, "krtc")
    for slug in (data or body())["parties"]:
        do(engine, orgs, agreement_id, A.SIGN, slug)
    return agreement_id


class Publisher:
    """Ingests politics items through the real pipeline and counts the deliveries each made."""

    def __init__(self, engine, settings, orgs) -> None:  # type: ignore[no-untyped-def]
        self.engine, self.ingestor, self.orgs, self.n = engine, Ingestor(engine, settings), orgs, 0

    def publish(self, source: str = "krtc", *, uri: str | None = None, version: str = "1",
                pubstatus: str = "usable") -> list[tuple[str, str]]:
        """(recipient slug, agreement id) of the deliveries of this version."""
        self.n += 1
        item = Item(uri=uri or f"urn:{source}:{self.n}", version=version, language="en", pubstatus=pubstatus,
                    headline=f"Government approves the budget, part {self.n}", subjects=[topic_subject(GOVERNMENT)])
        stored = self.ingestor.ingest_item(self.orgs[source], item)
        slugs = {o.id: slug for slug, o in self.orgs.items()}
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(deliveries.c.recipient_id, deliveries.c.agreement_id).where(
                deliveries.c.item_id == stored.item_id, deliveries.c.version == stored.version)).all()
        return sorted((slugs[r.recipient_id], r.agreement_id) for r in rows)


@pytest.fixture
def publisher(engine, settings, orgs) -> Publisher:  # type: ignore[no-untyped-def]
    return Publisher(engine, settings, orgs)


def signatures(engine, orgs, agreement_id: str,  # type: ignore[no-untyped-def]
               viewer: str = "krtc") -> dict[str, bool]:
    with reading(engine) as conn:
        return {p.slug: p.signed for p in get_agreement(conn, orgs[viewer], agreement_id).parties}


def test_one_party_cannot_activate_a_bilateral_agreement(engine, orgs, publisher) -> None:
    agreement_id = create(engine, orgs)
    assert do(engine, orgs, agreement_id, A.PROPOSE, "krtc").status is S.PROPOSED
    assert do(engine, orgs, agreement_id, A.SIGN, "krtc").status is S.PROPOSED
    assert signatures(engine, orgs, agreement_id) == {"irna": False, "krtc": True}
    with pytest.raises(InvalidInput, match="signed these terms already"):
        do(engine, orgs, agreement_id, A.SIGN, "krtc")
    assert publisher.publish() == []
    signed = do(engine, orgs, agreement_id, A.SIGN, "irna")
    assert signed.status is S.ACTIVE
    assert all(p.signed and p.signed_by == f"editor@{p.slug}" and p.signed_at for p in signed.parties)
    assert publisher.publish() == [("irna", agreement_id)]


def test_a_draft_cannot_be_signed(engine, orgs) -> None:
    agreement_id = create(engine, orgs)
    with pytest.raises(Conflict) as refused:
        do(engine, orgs, agreement_id, A.SIGN, "krtc")
    assert refused.value.code == "conflict" and refused.value.status == 409
    with pytest.raises(NotFound):  # the other party does not even see krtc's draft
        do(engine, orgs, agreement_id, A.SIGN, "irna")


def test_three_parties_need_all_three_signatures(engine, orgs, publisher) -> None:
    agreement_id = create(engine, orgs, data=body(("krtc", "irna", "ria")))
    do(engine, orgs, agreement_id, A.PROPOSE, "krtc")
    statuses = [do(engine, orgs, agreement_id, A.SIGN, slug).status for slug in ("ria", "krtc", "irna")]
    assert statuses == [S.PROPOSED, S.PROPOSED, S.ACTIVE]
    assert publisher.publish() == [("irna", agreement_id), ("ria", agreement_id)]


def test_amending_resets_every_signature_and_stops_routing_until_all_sign_again(engine, orgs, publisher) -> None:
    agreement_id = activate(engine, orgs)
    assert publisher.publish() == [("irna", agreement_id)]
    amended = do(engine, orgs, agreement_id, A.AMEND, "irna",
                 body(terms=[{"from": "krtc", "topics": [POLITICS]}, {"from": "irna", "topics": [POLITICS]}]))
    assert (amended.status, amended.terms_revision) == (S.PROPOSED, 2)
    assert not any(p.signed for p in amended.parties)
    assert len(amended.terms) == 2
    assert publisher.publish() == []
    do(engine, orgs, agreement_id, A.SIGN, "krtc")
    assert publisher.publish() == []
    assert do(engine, orgs, agreement_id, A.SIGN, "irna").status is S.ACTIVE
    assert publisher.publish() == [("irna", agreement_id)]
    assert publisher.publish("irna") == [("krtc", agreement_id)]  # the amended terms are in force


def test_amending_cannot_change_the_parties(engine, orgs) -> None:
    agreement_id = activate(engine, orgs)
    with pytest.raises(InvalidInput) as refused:
        do(engine, orgs, agreement_id, A.AMEND, "krtc", body(("krtc", "irna", "ria")))
    assert refused.value.field == "parties"
    assert signatures(engine, orgs, agreement_id) == {"irna": True, "krtc": True}


def test_suspending_stops_routing_but_corrections_still_follow(engine, orgs, publisher) -> None:
    agreement_id = activate(engine, orgs)
    assert publisher.publish(uri="urn:krtc:budget") == [("irna", agreement_id)]
    assert do(engine, orgs, agreement_id, A.SUSPEND, "irna").status is S.SUSPENDED
    assert publisher.publish() == []
    assert publisher.publish(uri="urn:krtc:budget", version="2", pubstatus="canceled") == [("irna", agreement_id)]
    resumed = do(engine, orgs, agreement_id, A.PROPOSE, "krtc")
    assert (resumed.status, resumed.terms_revision) == (S.PROPOSED, 2)
    assert not any(p.signed for p in resumed.parties)
    do(engine, orgs, agreement_id, A.SIGN, "irna")
    assert publisher.publish() == []
    assert do(engine, orgs, agreement_id, A.SIGN, "krtc").status is S.ACTIVE
    assert publisher.publish() == [("irna", agreement_id)]


@pytest.mark.parametrize("action", list(Action))
def test_nothing_happens_to_an_ended_agreement(engine, orgs, action: Action) -> None:
    agreement_id = create(engine, orgs)
    do(engine, orgs, agreement_id, A.PROPOSE, "krtc")
    do(engine, orgs, agreement_id, A.SIGN, "krtc")
    assert do(engine, orgs, agreement_id, A.END, "krtc").status is S.ENDED
    with pytest.raises(Conflict) as refused:
        do(engine, orgs, agreement_id, action, "irna", body())  # irna has not signed: only the status refuses
    assert (refused.value.status, refused.value.code) == (409, "conflict")
    assert signatures(engine, orgs, agreement_id) == {"irna": False, "krtc": True}
    assert history_of(engine, agreement_id)[-1].to_status == "ended"


@pytest.mark.parametrize("action, setup", [
    (A.SUSPEND, [A.PROPOSE]),  # proposed
    (A.PROPOSE, [A.PROPOSE]),
    (A.SUSPEND, []),  # draft
])
def test_conflicting_actions_change_nothing(engine, orgs, action: Action, setup: list[Action]) -> None:
    agreement_id = create(engine, orgs)
    for step in setup:
        do(engine, orgs, agreement_id, step, "krtc")
    before = len(history_of(engine, agreement_id))
    with pytest.raises(Conflict):
        do(engine, orgs, agreement_id, action, "irna" if setup else "krtc")  # a draft is krtc's own
    assert len(history_of(engine, agreement_id)) == before


def test_an_expired_agreement_routes_nothing_but_can_still_be_ended(engine, orgs, publisher) -> None:
    agreement_id = activate(engine, orgs, body(valid_from="2020-01-01", valid_until="2021-12-31"))
    with reading(engine) as conn:
        assert get_agreement(conn, orgs["irna"], agreement_id).status is S.EXPIRED
    assert publisher.publish() == []
    assert do(engine, orgs, agreement_id, A.END, "krtc").status is S.ENDED


def test_an_agreement_not_yet_valid_routes_nothing(engine, orgs, publisher) -> None:
    later = (date.today() + timedelta(days=30)).isoformat()
    agreement_id = activate(engine, orgs, body(valid_from=later))
    with reading(engine) as conn:
        assert get_agreement(conn, orgs["irna"], agreement_id).status is S.ACTIVE
    assert publisher.publish() == []


def test_an_outlet_reads_but_cannot_act(engine, orgs, publisher) -> None:
    agreement_id = create(engine, orgs)
    do(engine, orgs, agreement_id, A.PROPOSE, "krtc")
    with reading(engine) as conn:
        assert get_agreement(conn, orgs["kazinform"], agreement_id).id == agreement_id
        assert [a.id for a in list_agreements(conn, orgs["kazinform"])] == [agreement_id]
    for action in Action:
        with pytest.raises(Forbidden):
            do(engine, orgs, agreement_id, action, "kazinform", body())
    assert signatures(engine, orgs, agreement_id) == {"irna": False, "krtc": False}
    do(engine, orgs, agreement_id, A.SIGN, "krtc")
    do(engine, orgs, agreement_id, A.SIGN, "irna")
    assert publisher.publish("kazinform") == [("irna", agreement_id)]  # the holding's term covers its outlet


@pytest.mark.parametrize("outsider", ["stranger", "sputnik"])
def test_an_outsider_sees_nothing(engine, orgs, outsider: str) -> None:
    agreement_id = create(engine, orgs)
    with reading(engine) as conn:
        with pytest.raises(NotFound):
            get_agreement(conn, orgs[outsider], agreement_id)
        assert list_agreements(conn, orgs[outsider]) == []
    for action in Action:
        with pytest.raises(NotFound):
            do(engine, orgs, agreement_id, action, outsider, body())
    assert [e.action for e in history_of(engine, agreement_id)] == ["create"]


def history_of(engine, agreement_id: str):  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return history(conn, agreement_id)


def test_history_records_every_action(engine, orgs) -> None:
    agreement_id = create(engine, orgs)
    steps = [(A.PROPOSE, "krtc"), (A.SIGN, "krtc"), (A.SIGN, "irna"), (A.AMEND, "irna"), (A.SIGN, "irna"),
             (A.SIGN, "krtc"), (A.SUSPEND, "irna"), (A.PROPOSE, "krtc"), (A.END, "irna")]
    for action, by in steps:
        do(engine, orgs, agreement_id, action, by, body(title="Amended cooperation") if action is A.AMEND else None)
    events = history_of(engine, agreement_id)
    assert [(e.action, e.organization, e.actor, e.from_status, e.to_status) for e in events] == [
        ("create", "krtc", "editor@krtc", None, "draft"),
        ("propose", "krtc", "editor@krtc", "draft", "proposed"),
        ("sign", "krtc", "editor@krtc", "proposed", "proposed"),
        ("sign", "irna", "editor@irna", "proposed", "active"),
        ("amend", "irna", "editor@irna", "active", "proposed"),
        ("sign", "irna", "editor@irna", "proposed", "proposed"),
        ("sign", "krtc", "editor@krtc", "proposed", "active"),
        ("suspend", "irna", "editor@irna", "active", "suspended"),
        ("propose", "krtc", "editor@krtc", "suspended", "proposed"),
        ("end", "irna", "editor@irna", "proposed", "ended"),
    ]
    assert events[2].details == {"revision": 1, "waiting_for": ["irna"]}
    assert events[4].details == {"revision": 2}
    assert events[6].details == {"revision": 2, "waiting_for": []}
    assert all(a.at <= b.at for a, b in itertools.pairwise(events))
    with reading(engine) as conn:
        agreement = get_agreement(conn, orgs["irna"], agreement_id)
    assert (agreement.title, agreement.terms_revision, agreement.status) == ("Amended cooperation", 3, S.ENDED)


def _term(**changes: Any) -> dict[str, Any]:
    return {"terms": [{"from": "krtc", **changes}]}


@pytest.mark.parametrize("changes, field", [
    ({"parties": ["krtc", "nobody"]}, "parties"),
    ({"parties": ["irna", "ria"], "terms": [{"from": "irna"}]}, "parties"),  # the creator is not a party
    ({"parties": ["krtc"]}, "parties"),
    ({"parties": ["krtc", "krtc"]}, "parties"),
    ({"parties": "krtc,irna"}, "parties"),
    ({"title": "  "}, "title"),
    ({"valid_from": "2026-06-01", "valid_until": "2026-05-31"}, "valid_until"),
    ({"valid_from": "31.01.2026"}, "valid_from"),
    ({"terms": []}, "terms"),
    (_term(topics=["medtop:99999999"]), "terms[0].topics"),
    ({"terms": [{"from": "krtc"}, {"from": "irna", "topics": ["medtop:99999999"]}]}, "terms[1].topics"),
    (_term(outlets=["sputnik"]), "terms[0].outlets"),  # an outlet of another organization
    (_term(outlets=["irna"]), "terms[0].outlets"),
    (_term(outlets=["nobody"]), "terms[0].outlets"),
    (_term(credit_line="{nope} via Newsbridge"), "terms[0].credit_line"),
    (_term(credit_line="{source"), "terms[0].credit_line"),
    (_term(delay_minutes=-1), "terms[0].delay_minutes"),
    (_term(delay_minutes=1.5), "terms[0].delay_minutes"),
    (_term(delay_minutes=True), "terms[0].delay_minutes"),
    (_term(languages=["english"]), "terms[0].languages"),
    (_term(types=["podcast"]), "terms[0].types"),
    (_term(allow_translation="yes"), "terms[0].allow_translation"),
    (_term(usage_terms=["no resale"]), "terms[0].usage_terms"),
    (_term(embargo=True), "terms[0].embargo"),
    ({"terms": [{"from": "ria"}]}, "terms[0].from"),
    (_term(credit_line=5), "terms[0].credit_line"),
    ({"terms": [{"from": ["krtc"]}]}, "terms[0].from"),
], ids=["unknown-party", "creator-not-party", "one-party", "same-party-twice", "parties-not-list", "blank-title",
        "until-before-from", "bad-day", "no-terms", "unknown-topic", "unknown-topic-second-term", "foreign-outlet",
        "party-as-outlet", "unknown-outlet", "unknown-placeholder", "broken-placeholder", "negative-delay",
        "fractional-delay", "boolean-delay", "bad-language", "bad-type", "flag-not-boolean", "usage-not-text",
        "unknown-term-field", "from-non-party", "credit-line-number", "from-as-list"])
def test_invalid_drafts_name_the_field(engine, orgs, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        create(engine, orgs, data=body(**changes))
    assert (refused.value.field, refused.value.code) == (field, "invalid")
    assert count_rows(engine, agreements) == 0


def test_a_valid_draft_resolves_slugs_to_ids(engine, orgs) -> None:
    data = body(valid_from="2026-01-01", valid_until="2026-01-01", terms=[
        {"from": "krtc", "topics": ["11000000", "http://cv.iptc.org/newscodes/mediatopic/15000000"],
         "languages": ["EN", "ru"], "types": ["text", "picture"], "outlets": ["kazinform", "krtc"],
         "delay_minutes": 30, "credit_line": "{source} / {agreement}", "usage_terms": "No resale.",
         "allow_translation": False}])
    with writing(engine) as conn:
        created = create_agreement(conn, orgs["krtc"], "editor@krtc", data)
    [term] = created.terms
    assert (created.status, created.terms_revision, created.created_by) == (S.DRAFT, 1, orgs["krtc"].id)
    assert term.from_id == orgs["krtc"].id
    assert term.topics == (POLITICS, SPORT)
    assert term.languages == ("en", "ru")
    assert term.outlets == (orgs["kazinform"].id, orgs["krtc"].id)
    assert (term.delay_minutes, term.credit_line, term.usage_terms, term.allow_translation,
            term.allow_republication) == (30, "{source} / {agreement}", "No resale.", False, True)
    assert [p.slug for p in created.parties] == ["irna", "krtc"]
