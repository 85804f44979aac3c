"""The demo's glossaries (translation/glossary.py): the names Kazinform and IRNA want machine
translation to write their way, so the glossary page and the translations show a lived-in list."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import get_organization
from newsbridge.translation.glossary import add_term

GLOSSARIES: dict[str, list[tuple[dict[str, str], str]]] = {
    "kazinform": [
        ({"kk": "Kazinform", "ru": "Казинформ", "fa": "کازینفورم", "en": "Kazinform"},
         "Our agency's name: never translated."),
        ({"kk": "Jibek Joly", "ru": "Jibek Joly", "fa": "Jibek Joly", "en": "Jibek Joly"},
         "TV channel of the TV and Radio Complex: the name stays in Latin letters."),
        ({"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев", "fa": "قاسم‌ژومارت توکایف",
          "en": "Kassym-Jomart Tokayev"}, "President of Kazakhstan."),
        ({"kk": "Солтүстік–Оңтүстік дәлізі", "ru": "коридор «Север–Юг»", "fa": "کریدور شمال–جنوب",
          "en": "North–South corridor"}, "The International North–South Transport Corridor."),
    ],
    "irna": [
        ({"fa": "ایرنا", "ru": "ИРНА", "kk": "ИРНА", "en": "IRNA"}, "Islamic Republic News Agency."),
        ({"fa": "مسعود پزشکیان", "ru": "Масуд Пезешкиан", "kk": "Масуд Пезешкиан", "en": "Masoud Pezeshkian"},
         "President of Iran."),
    ],
}


def load_demo_glossaries(conn: Connection) -> None:
    """Add the demo's glossary entries."""
    for slug, terms in GLOSSARIES.items():
        organization = get_organization(conn, slug)
        for forms, note in terms:
            add_term(conn, organization, forms, note)
