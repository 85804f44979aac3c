"""The two real cooperations of the demo, as agreement bodies (the API's JSON shape).

Kazakhstan's TV and Radio Complex and IRNA: "content exchange, exchange of news and joint
production" and a comprehensive roadmap to sign (Kazinform, 26 April 2023). Iranian and
Russian media: some 20 cooperation topics, among them exchanging news, exchanging technical
and media technologies and raising reporters' professional level, and a complaint that
media cooperation "has not kept pace" with political ties (Pars Today, 12 July 2018).

Both carry pace targets and roadmap commitments the hub measures itself (docs/metrics.md); the
demo's generated history (history.py) makes the first keep pace and the second slip.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, timedelta
from typing import Any

POLITICS, ECONOMY, CULTURE, MASS_MEDIA = "medtop:11000000", "medtop:04000000", "medtop:20000038", "medtop:20000045"
SCIENCE = "medtop:13000000"
USAGE = "Republication and translation allowed with the credit line; no resale to third parties."

KAZAKHSTAN_IRAN: dict[str, Any] = {
    "title": "Kazakhstan–Iran media cooperation (TV and Radio Complex – IRNA)",
    "parties": ["krtc", "irna"],
    "valid_from": "2023-04-26",
    "valid_until": "2028-04-25",
    "terms": [
        {"from": "krtc", "topics": [POLITICS, ECONOMY, CULTURE, MASS_MEDIA], "languages": ["en", "ru", "kk", "fa"],
         "outlets": ["krtc", "kazinform", "jibek-joly", "silk-way-tv"], "credit_line": "{source} via Newsbridge",
         "usage_terms": USAGE},
        {"from": "irna", "topics": [POLITICS, ECONOMY, CULTURE, MASS_MEDIA], "languages": ["en", "ru", "kk", "fa"],
         "credit_line": "{source} via Newsbridge", "usage_terms": USAGE},
    ],
    # Due days are offsets from the day the demo is built (see cooperations()): a fresh demo shows a
    # roadmap under way (some done, one late, the rest ahead), never one stuck years in the past.
    "targets": {"balance": 0.5, "topic_coverage": 0.8, "same_day_share": 0.6, "pickup_rate": 0.15,
                "volume_not_falling": True},
    "roadmap": [
        {"title": "Exchange content and news between Kazinform and IRNA every day", "owner": "krtc",
         "due": -60, "status": "done"},
        {"title": "At least 30 items a week from the Complex's outlets to IRNA", "owner": "krtc",
         "indicator": {"kind": "items_per_period", "from": "krtc", "to": "irna", "at_least": 30, "per": "week"}},
        {"title": "At least 30 items a week from IRNA to the Complex", "owner": "irna",
         "indicator": {"kind": "items_per_period", "from": "irna", "to": "krtc", "at_least": 30, "per": "week"}},
        {"title": "Economic news both ways every month", "owner": "irna",
         "indicator": {"kind": "topic_every_month", "topic": ECONOMY, "at_least": 10}},
        {"title": "One in five exchanged items picked up (over eight weeks)", "owner": "krtc",
         "indicator": {"kind": "pickup_rate", "at_least": 0.2, "weeks": 8}},
        {"title": "Launch joint projects and joint production", "owner": "irna", "due": 90,
         "indicator": {"kind": "deliverables", "at_least": 3, "by": 240}},
        {"title": "Sign a comprehensive roadmap for bilateral media relations", "owner": "krtc",
         "due": -20, "status": "done"},
        {"title": "Co-produce programmes in the Jibek Joly and Silk Way TV studios", "owner": "krtc",
         "due": 5, "status": "planned"},
        {"title": "Documentary on the cultural ties between Kazakhstan and Iran", "owner": "krtc",
         "due": 240, "status": "planned"},
    ],
}

IRAN_RUSSIA: dict[str, Any] = {
    "title": "Iran–Russia media cooperation roadmap",
    "parties": ["irna", "parstoday", "ria"],
    "valid_from": "2018-07-11",
    "valid_until": "2028-07-10",
    "terms": [
        # IRNA shares its Russian-language service under this pact
        {"from": "irna", "topics": [POLITICS, ECONOMY, CULTURE, MASS_MEDIA, SCIENCE], "languages": ["ru"],
         "usage_terms": USAGE},
        {"from": "parstoday", "topics": [POLITICS, ECONOMY, CULTURE, MASS_MEDIA, SCIENCE],
         "languages": ["fa", "en", "ru"], "usage_terms": USAGE},
        {"from": "ria", "topics": [POLITICS, ECONOMY, CULTURE, MASS_MEDIA, SCIENCE], "languages": ["ru", "en"],
         "delay_minutes": 15, "credit_line": "{source} (Rossiya Segodnya) via Newsbridge", "usage_terms": USAGE},
    ],
    "roadmap": [
        {"title": "Exchange news between Iranian and Russian agencies", "owner": "irna", "due": -120,
         "status": "done"},
        {"title": "At least 10 items a week from IRNA to RIA Novosti", "owner": "irna",
         "indicator": {"kind": "items_per_period", "from": "irna", "to": "ria", "at_least": 10, "per": "week"}},
        {"title": "Science news every month, either way", "owner": "ria",
         "indicator": {"kind": "topic_every_month", "topic": SCIENCE, "at_least": 4}},
        {"title": "Exchange technical and media technologies", "owner": "ria", "due": 60,
         "status": "in_progress"},
        {"title": "Raise the professional level of reporters (training and exchanges)", "owner": "ria",
         "due": 150, "status": "planned"},
        {"title": "Reinforce media diplomacy as part of cultural diplomacy", "owner": "parstoday",
         "due": -30, "status": "done"},
        {"title": "Weigh the grounds for fulfilling each of the ~20 agreed cooperation topics", "owner": "irna",
         "due": -10, "status": "blocked", "notes": "Cooperation has not kept pace with political ties."},
        {"title": "Cover the Caspian universities' scientific cooperation jointly", "owner": "parstoday",
         "due": 3, "status": "planned"},
    ],
}

COOPERATIONS = [KAZAKHSTAN_IRAN, IRAN_RUSSIA]


def cooperations(today: date) -> list[dict[str, Any]]:
    """The agreement bodies with each commitment's due day counted from ``today`` (the bodies
    above hold offsets in days). The agreements keep their real dates: they were signed then."""
    bodies = deepcopy(COOPERATIONS)
    for body in bodies:
        for commitment in body["roadmap"]:
            if "due" in commitment:
                commitment["due"] = (today + timedelta(days=commitment["due"])).isoformat()
            if (commitment.get("indicator") or {}).get("by") is not None:
                commitment["indicator"]["by"] = (today + timedelta(days=commitment["indicator"]["by"])).isoformat()
    return bodies
# Media Topics the publishers assign to the plain-text seed articles (their wires carry none).
SEED_SUBJECTS = {
    "kazinform-2023-04-26.txt": [MASS_MEDIA, "medtop:20000638"],  # international relations
    "parstoday-2018-07-12.txt": [MASS_MEDIA, "medtop:20000638"],
}
