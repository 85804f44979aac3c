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
# One event told by several partners in several languages (issue 16): IRNA's report in Persian,
# Kazinform's Kazakh translation of it (credited: "деп хабарлайды ИРНА" — the hub detects that
# pickup), RIA Novosti's own report in Russian and Silk Way TV's in English. The story worker
# groups them into one story (the desk's grouped row, /items/{id}/story); IRNA's snowfall report
# the same day is another event. Published in this order; the worker takes them so.
CORRIDOR = "urn:irna:demo:corridor"
CORRIDOR_STORY: list[tuple[str, Item]] = [
    ("irna", _item(CORRIDOR, 6, "fa", "ایران، قزاقستان و روسیه در تهران سند ترانزیت کریدور شمال–جنوب را امضا کردند",
                   "تهران – ایرنا – وزیران حمل و نقل ایران، قزاقستان و روسیه امروز در تهران سند توسعه کریدور "
                   "شمال–جنوب را امضا کردند. بر اساس این سند، حجم ترانزیت کالا از مسیر ریلی شرق دریای خزر تا سال "
                   "۲۰۳۰ به ۱۵ میلیون تن در سال می‌رسد و تعرفه‌های ترانزیت ۲۰ درصد کاهش می‌یابد.",
                   ["medtop:20000344", "medtop:20000638"])),
    ("kazinform", _item("urn:kazinform:demo:corridor", 5, "kk",
                        "Иран, Қазақстан және Ресей Тегеранда Солтүстік–Оңтүстік дәлізі туралы құжатқа қол қойды",
                        "ТЕГЕРАН. KAZINFORM – Иран, Қазақстан және Ресейдің көлік министрлері Тегеранда Солтүстік–Оңтүстік "
                        "дәлізін дамыту туралы құжатқа қол қойды, деп хабарлайды ИРНА. Құжатқа сәйкес Каспийдің шығыс "
                        "жағалауындағы теміржол арқылы транзит көлемі 2030 жылға қарай жылына 15 миллион тоннаға жетеді, "
                        "ал транзит тарифтері 20 пайызға төмендейді.",
                        ["medtop:20000344", "medtop:20000638"])),
    ("ria", _item("urn:ria:demo:corridor", 4, "ru", "Россия, Иран и Казахстан подписали в Тегеране документ о коридоре Север–Юг",
                  "ТЕГЕРАН – РИА Новости. Министры транспорта России, Ирана и Казахстана подписали в Тегеране документ "
                  "о развитии транспортного коридора Север–Юг. Объём транзита по железной дороге вдоль восточного "
                  "побережья Каспия к 2030 году должен вырасти до 15 миллионов тонн в год, транзитные тарифы снизят "
                  "на 20 процентов.", ["medtop:20000344", "medtop:20000638"])),
    ("silk-way-tv", _item("urn:silkway:demo:corridor", 3.5, "en",
                          "Kazakhstan, Iran and Russia sign North–South corridor deal in Tehran",
                          "ASTANA (Silk Way TV) – Transport ministers of Kazakhstan, Iran and Russia signed a document "
                          "in Tehran on developing "
                          "the North–South corridor. Rail transit along the eastern Caspian coast is to reach 15 million "
                          "tonnes a year by 2030, and transit tariffs will be cut by 20 percent.",
                          ["medtop:20000344", "medtop:20000638"])),
    ("irna", _item("urn:irna:demo:snow", 2, "fa", "بارش برف سنگین راه‌های شمال ایران را بست",
                   "تهران – ایرنا – بارش برف سنگین در استان‌های گیلان و مازندران ۱۲ جاده را مسدود کرد.",
                   ["medtop:17000000"])),
]

# (organization picking up, uri of the item, where it republished it)
PICKUPS = [("irna", "urn:kazinform:demo:forum", "https://www.irna.ir/news/eurasian-media-forum")]
