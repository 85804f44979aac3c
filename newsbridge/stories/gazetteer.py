"""Names the hub recognises in any of its languages, each mapped to one key.

A small gazetteer written here (places, people, agencies of the region, in en/ru/kk/fa spellings)
plus the organizations of the hub (their names and slugs, added at run time): matching names across
languages is a strong story signal where embeddings alone confuse events of the same country.
Russian and Kazakh inflect names (Тегеране, Астанада), so an alias matches a word that starts with
it and has a short ending; Persian text is normalized first (Arabic ي/ك to Persian ی/ک).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# key -> spellings (lower case). Keep each spelling at least 4 letters where it can be: shorter
# prefixes with a free ending match unrelated words.
NAMES: dict[str, tuple[str, ...]] = {
    "astana": ("astana", "астана", "آستانه"),
    "almaty": ("almaty", "алматы", "алмат", "آلماتی"),
    "tehran": ("tehran", "тегеран", "теһран", "тәһран", "تهران"),
    "moscow": ("moscow", "москва", "москв", "мәскеу", "مسکو"),
    "atyrau": ("atyrau", "атырау", "آتیراو"),
    "aktau": ("aktau", "актау", "ақтау", "آکتائو", "آکتاو"),
    "kermanshah": ("kermanshah", "керманшах", "کرمانشاه"),
    "golestan": ("golestan", "голестан", "گلستان"),
    "baikonur": ("baikonur", "байконур", "бәйқоңыр", "بایکونور"),
    "ashgabat": ("ashgabat", "ашхабад", "ашғабат", "عشق‌آباد", "عشق آباد"),
    "rasht": ("rasht", "решт", "رشت"),
    "astara": ("astara", "астара", "آستارا"),
    "caspian": ("caspian", "каспий", "каспи", "خزر"),
    "kazakhstan": ("kazakhstan", "kazakh", "казахстан", "қазақстан", "قزاقستان"),
    "iran": ("iran", "иран", "иран", "ایران"),
    "russia": ("russia", "россия", "росси", "ресей", "روسیه"),
    "tokayev": ("tokayev", "токаев", "тоқаев", "توکایف"),
    "pezeshkian": ("pezeshkian", "пезешкиан", "пезешкиан", "پزشکیان"),
    "putin": ("putin", "путин", "پوتین"),
    "araghchi": ("araghchi", "аракчи", "арагчи", "عراقچی"),
    "lavrov": ("lavrov", "лавров", "لاوروف"),
    "kazinform": ("kazinform", "казинформ", "қазақпарат", "kazakpress", "کازینفورم", "قزاق‌پرس"),
    "irna": ("irna", "ирна", "ایرنا"),
    "tass": ("tass", "тасс", "تاس"),
    "ria-novosti": ("ria novosti", "риа новости", "ریا نووستی", "ریانووستی"),
    "pars-today": ("pars today", "парс тудей", "پارس تودی"),
    "air-astana": ("air astana", "эйр астана", "эйр астана", "ایر آستانه"),
    "kazatomprom": ("kazatomprom", "казатомпром", "қазатомөнеркәсіп", "قزاق‌اتم‌پروم", "قزاق اتم پروم"),
    "sco": ("sco", "шос", "шыұ", "شانگهای"),
    "soyuz": ("soyuz", "союз", "سایوز", "سایوز"),
    "futsal": ("futsal", "футзал", "футзал", "فوتسال"),
    "wheat": ("wheat", "пшениц", "бидай", "گندم"),
    "uranium": ("uranium", "уран", "اورانیوم"),
    "earthquake": ("earthquake", "землетрясен", "жер сілкін", "زلزله", "زمین‌لرزه"),
    "flood": ("flood", "паводок", "паводк", "наводнен", "су тасқын", "سیل"),
    "base-rate": ("base rate", "базовую ставку", "базовая ставка", "базалық мөлшерлеме", "نرخ پایه"),
    "forum": ("forum", "форум", "مجمع", "فوروم"),
    "memorandum": ("memorandum", "меморандум", "تفاهم‌نامه", "تفاهم نامه", "یادداشت تفاهم"),
    "pollution": ("pollution", "загрязнен", "смог", "ластан", "آلودگی"),
    "wildfire": ("wildfire", "forest fire", "лесной пожар", "пожар", "өрт", "آتش‌سوزی", "آتش سوزی"),
}

_CYRILLIC_VOWELS = "аяыіеоуәё"
_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "\u200c": " "})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_YEAR = re.compile(r"(19|20)\d\d")


def normalize(text: str) -> str:
    """Lower case, Persian letters and digits unified, zero-width non-joiners as spaces."""
    return text.translate(_PERSIAN).translate(_DIGITS).lower()


class Gazetteer:
    """Finds the keys of the names a text mentions; ``extra`` adds names (the hub's organizations)."""

    def __init__(self, extra: Iterable[tuple[str, Iterable[str]]] = ()) -> None:
        aliases: dict[str, str] = {}
        for key, spellings in list(NAMES.items()) + [(k, tuple(s)) for k, s in extra]:
            for spelling in spellings:
                spelling = normalize(spelling).strip()
                if len(spelling) >= 3:
                    aliases.setdefault(spelling, key)
                if len(spelling) >= 5 and spelling[-1] in _CYRILLIC_VOWELS:  # Астана -> Астану, Астане
                    aliases.setdefault(spelling[:-1], key)
        self._aliases = aliases
        pattern = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
        # an alias at a word start, with an ending of at most four letters (Тегеране, Астанада)
        self._pattern = re.compile(rf"(?<!\w)({pattern})\w{{0,4}}(?!\w)")

    def entities(self, text: str) -> set[str]:
        return {self._aliases[m.group(1)] for m in self._pattern.finditer(normalize(text))}


def numbers(text: str) -> set[str]:
    """The numbers a text states (a shared figure is evidence of one event), years left out."""
    found = set()
    for match in _NUMBER.finditer(normalize(text)):
        value = match.group().replace(",", ".")
        if len(value) >= 2 and not _YEAR.fullmatch(value):
            found.add(value.rstrip("0").rstrip(".") if "." in value else value)
    return found
