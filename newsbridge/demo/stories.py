"""A few more stories so the demo desk looks lived in: in Kazakh, Russian, Persian and English,
one correction, one withdrawal. Invented for the demo, in the style of the partners' wires."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newsbridge.formats.item import Item
from newsbridge.vocab.mediatopics import topic_subject

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _item(uri: str, hours_ago: float, language: str, headline: str, body: str, topics: list[str],
          version: str = "1", pubstatus: str = "usable") -> Item:
    when = NOW - timedelta(hours=hours_ago)
    return Item(uri=uri, version=version, language=language, headline=headline, body_text=body,
                firstcreated=when, versioncreated=when, pubstatus=pubstatus,
                subjects=[topic_subject(q) for q in topics])


# (publishing organization, item)
STORIES: list[tuple[str, Item]] = [
    ("kazinform", _item("urn:kazinform:demo:forum", 30, "kk", "Астанада Еуразиялық медиа форумы басталды",
                        "АСТАНА. KAZINFORM – Форумға 40 елден журналистер мен медиа сарапшылары қатысуда.\n\n"
                        "Талқылау тақырыптары – ақпарат алмасу және бірлескен жобалар.",
                        ["medtop:20000045", "medtop:20000638"])),
    ("kazinform", _item("urn:kazinform:demo:grain", 20, "ru", "Казахстан увеличил экспорт зерна в Иран",
                        "АСТАНА. KAZINFORM – По итогам десяти месяцев поставки зерна в Иран выросли на 18 процентов.",
                        ["medtop:20000344"])),
    ("silk-way-tv", _item("urn:silkway:demo:documentary", 12, "en",
                          "Silk Way TV starts filming a documentary on the Great Silk Road",
                          "The film crew will travel from Turkistan to Mashhad over three weeks.",
                          ["medtop:20000038"])),
    ("irna", _item("urn:irna:demo:media-week", 8, "fa", "هفته رسانه‌ای ایران و قزاقستان در تهران برگزار می‌شود",
                   "تهران – ایرنا – نمایندگان رسانه‌های دو کشور درباره تبادل خبر و تولید مشترک گفت‌وگو می‌کنند.",
                   ["medtop:20000045"])),
    ("irna", _item("urn:irna:demo:tariffs", 6, "en", "Iran and Kazakhstan cut transit tariffs on rail freight",
                   "TEHRAN (IRNA) – The two countries agreed to lower tariffs on the North–South corridor.",
                   ["medtop:20000344", "medtop:20000638"])),
    ("irna", _item("urn:irna:demo:tariffs", 5, "en", "Iran and Kazakhstan cut transit tariffs on rail freight by 20%",
                   "TEHRAN (IRNA) – The two countries agreed to lower tariffs on the North–South corridor by 20 percent "
                   "from January.", ["medtop:20000344", "medtop:20000638"], version="2")),
    ("irna", _item("urn:irna:demo:wrong-figure", 4, "en", "Caspian shipping volume doubled, ministry says",
                   "TEHRAN (IRNA) – Shipping volume on the Caspian doubled this year.", ["medtop:20000344"])),
    ("irna", _item("urn:irna:demo:wrong-figure", 3, "en", "Caspian shipping volume doubled, ministry says",
                   "Withdrawn: the figure was wrong.", ["medtop:20000344"], version="2", pubstatus="canceled")),
]
# (organization picking up, uri of the item, where it republished it)
PICKUPS = [("irna", "urn:kazinform:demo:forum", "https://www.irna.ir/news/eurasian-media-forum")]
