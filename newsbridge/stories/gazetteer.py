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

from newsbridge.stories.russian_names import russian_names
from newsbridge.stories.transliteration import name_keys, span_keys

# Russian names through natasha ("add": beside the capitalized-word rule, "replace": instead of it,
# "off"): bench/stories.py measures the three. Off: on the labelled sets natasha changes no cluster of
# the held-out sets and no pickup, and merges one event of items.json with its hard negative (both
# name the Нацбанк), for ~60-130 ms of CPU per Russian item and ~215 MB (docs/stories.md).
RUSSIAN_NER = "off"
# A dateline: a place in capitals opening the text, then a comma, dot, bracket or dash
_DATELINE = re.compile(r"([A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][A-ZА-ЯЁӘҒҚҢӨҰҮҺІ' -]{2,}?)\s*(?:[,.(]|[-–—]\s)")

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
    # agencies named in credit lines in another script than their own name (multi-word where the
    # bare name is a common word: "тренд", "хабар" = news in Kazakh, "مهر" = a month)
    "trend": ("trend news agency", "агентство trend", "агентство тренд", "тренд агентт", "خبرگزاری ترند",
              "گزارش ترند"),
    "khabar": ("khabar", "«хабар»", "агентство хабар", "хабар агентт"),
    "mehr": ("mehr news agency", "mehr news", "мехр", "خبرگزاری مهر"),
    "tehran-times": ("tehran times", "тегеран таймс", "تهران تایمز"),
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
_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "\u200c": " ", "٫": ".", "٬": ","})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# A figure: digits grouped by thin or plain spaces (1 200, 26 500), or with separators (1,200;
# 4,8; 5.1), then perhaps a scale word (thousand / тысяч / мың / هزار, million, billion, trillion)
# and, in Persian, "و" and the rest ("۲۶ هزار و ۵۰۰" = 26,500): the same figure written in four
# languages gives one value.
_SCALES = {"thousand": 1e3, "тыс": 1e3, "мың": 1e3, "هزار": 1e3, "million": 1e6, "mln": 1e6, "млн": 1e6,
           "миллион": 1e6, "میلیون": 1e6, "billion": 1e9, "bn": 1e9, "млрд": 1e9, "миллиард": 1e9,
           "میلیارد": 1e9, "trillion": 1e12, "трлн": 1e12, "триллион": 1e12, "تریلیون": 1e12}
_SCALE = "|".join(sorted(_SCALES, key=len, reverse=True))
_NUMBER = re.compile(rf"(?<![\w.,])(\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+(?!\d)|\d+(?:[.,]\d+)*)"
                     rf"(?:\s*({_SCALE})\w*\.?(?:\s+و\s+(\d+)(?![.,]?\d))?)?")
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

    def names(self, text: str, language: str | None = None, russian_ner: str | None = None) -> set[str]:
        """The keys of the names the gazetteer knows, and the transliteration keys of the other names
        (stories/transliteration.py): what a story profile holds as its entities. A Russian text's
        other names come from natasha when ``russian_ner`` (default :data:`RUSSIAN_NER`) is "add"
        (beside the capitalized-word rule) or "replace" (instead of it); "off" uses the rule alone."""
        keys, words = set(), set()
        for match in self._pattern.finditer(normalize(text)):
            keys.add(self._aliases[match.group(1)])
            words.update(match.group(0).split())
        mode = RUSSIAN_NER if russian_ner is None else russian_ner
        if language != "ru" or mode == "off":
            return keys | name_keys(text, frozenset(words))
        spans = [normal for _, normal in russian_names(text)]
        for span in spans:  # the dictionary form may be the one the gazetteer knows
            for match in self._pattern.finditer(normalize(span)):
                keys.add(self._aliases[match.group(1)])
                words.update(match.group(0).split())
        keys |= span_keys(spans, frozenset(words))
        return keys | name_keys(text, frozenset(words)) if mode == "add" else keys

    def first(self, text: str, key: str) -> re.Match[str] | None:
        """Where the text first names ``key`` (None if it does not)."""
        return next((m for m in self._pattern.finditer(normalize(text)) if self._aliases[m.group(1)] == key), None)

    def place(self, located: str | None, text: str = "") -> str | None:
        """The key of an item's dateline place: its ``located`` (ninjs; NewsML-G2 ``located``, a
        plain-text wire's dateline), else a dateline opening the text ("ТЕГЕРАН, 2 ноября. /ТАСС/",
        "ASTANA (Kazinform) –"); the gazetteer's key when it knows the place, else its
        transliteration key. None without a dateline."""
        if not located:
            found = _DATELINE.match(text.strip())
            located = found.group(1) if found else None
        if not located:
            return None
        first = located.split(",")[0].strip()
        for match in self._pattern.finditer(normalize(first)):
            return self._aliases[match.group(1)]
        keys = sorted(span_keys([first.title() if first.isupper() else first]))
        return keys[0] if keys else None


def _value(digits: str) -> float:
    """1 200 / 1,200 / 1.200.000 are grouped thousands; 4,8 and 5.1 decimals."""
    digits = re.sub(r"[ \u00a0\u202f]", "", digits)
    if "," in digits and "." in digits:
        return float(digits.replace(",", ""))
    for mark in ",.":
        parts = digits.split(mark)
        if len(parts) > 2 or (len(parts) == 2 and mark == "," and len(parts[1]) == 3):
            return float("".join(parts))
    return float(digits.replace(",", "."))


def numbers(text: str, digits_too: bool = False) -> set[str]:
    """The figures a text states (a shared figure is evidence of one event), each as its value
    ("1,200", "1 200" and "1.2 thousand" are "1200"); years left out, and lone digits (a "4-2"
    score, "3 days") unless ``digits_too``."""
    found = set()
    for match in _NUMBER.finditer(normalize(text)):
        digits, scale, rest = match.groups()
        if not scale and ((len(digits) < 2 and not digits_too) or _YEAR.fullmatch(digits)):
            continue
        value = _value(digits) * (_SCALES[scale] if scale else 1) + (float(rest) if rest and scale else 0)
        found.add(str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip("."))
    return found
