"""The wire items the benchmarks generate (bench/ingest.py, bench/formats.py, bench/language_memory.py):
en, ru, kk and fa ninjs items from small pools of wire-style sentences, with what the pipeline should
find out about each, and the same items as one RSS 2.0 document for feedparser."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

UNDECLARED_SHARE = 0.25
HTML_SHARE = 0.5  # wires send either plain text or HTML bodies; the pipeline derives the other

# Small pools of wire-style sentences. ``{n}`` takes a number (Persian digits in fa).
HEADLINES: dict[str, tuple[str, ...]] = {
    "en": (
        "Central bank holds key rate at {n}% as inflation eases",
        "New school opens in Astana ahead of the academic year",
        "Parliament approves amendments to the national budget",
        "Grain harvest completed in northern regions",
        "Villagers evacuated as spring floods rise",
        "Kazakhstan wins gold at the Asian wrestling championship",
        "Government unveils plan to modernise heating networks",
        "Oil exports rise {n}% in the first quarter",
        "New highway to be built in Almaty region",
        "Teachers' salaries to rise from September, ministry says",
        "International transport forum held in Aktau",
        "Rare snow leopard photographed in mountain reserve",
        "New airport terminal opens in Shymkent",
        "President meets foreign investors to discuss {n} new projects",
    ),
    "ru": (
        "Нацбанк сохранил базовую ставку на уровне {n}%",
        "В Астане открылась новая школа",
        "Парламент одобрил поправки в республиканский бюджет",
        "В северных регионах завершилась уборочная кампания",
        "Из-за паводка жителей сёл эвакуировали",
        "Сборная Казахстана завоевала золото чемпионата Азии по борьбе",
        "Правительство представило план модернизации тепловых сетей",
        "Экспорт нефти в первом квартале вырос на {n}%",
        "В Алматинской области построят новую трассу",
        "Зарплаты учителей повысят с сентября",
        "В Актау прошёл международный транспортный форум",
        "В заповеднике сняли редкие кадры снежного барса",
        "В Шымкенте ввели в эксплуатацию новый терминал аэропорта",
        "Президент обсудил с иностранными инвесторами {n} новых проектов",
    ),
    "kk": (
        "Ұлттық банк базалық мөлшерлемені {n} пайыз деңгейінде сақтады",
        "Астанада жаңа мектеп ашылды",
        "Парламент республикалық бюджетке енгізілген түзетулерді мақұлдады",
        "Солтүстік өңірлерде егін жинау науқаны аяқталды",
        "Су тасқынына байланысты ауыл тұрғындары көшірілді",
        "Қазақстан құрамасы күрестен Азия чемпионатында алтын медаль жеңіп алды",
        "Үкімет жылу желілерін жаңғырту жоспарын таныстырды",
        "Мұнай экспорты бірінші тоқсанда {n} пайызға өсті",
        "Алматы облысында жаңа тас жол салынады",
        "Мұғалімдердің жалақысы қыркүйектен бастап көтеріледі",
        "Ақтауда халықаралық көлік форумы өтті",
        "Қорықта қар барысының сирек суреті түсірілді",
        "Шымкентте әуежайдың жаңа терминалы пайдалануға берілді",
        "Президент шетелдік инвесторлармен {n} жаңа жобаны талқылады",
    ),
    "fa": (
        "بانک مرکزی نرخ بهره را در سطح {n} درصد ثابت نگه داشت",
        "مدرسه جدیدی در اصفهان افتتاح شد",
        "مجلس اصلاحیه بودجه را تصویب کرد",
        "برداشت گندم در استان‌های شمالی به پایان رسید",
        "ساکنان روستاها به دلیل سیل تخلیه شدند",
        "تیم ملی کشتی در مسابقات قهرمانی آسیا طلا گرفت",
        "دولت طرح نوسازی شبکه‌های گرمایشی را ارائه کرد",
        "صادرات نفت در سه ماه نخست {n} درصد افزایش یافت",
        "جاده جدیدی در استان فارس ساخته می‌شود",
        "حقوق معلمان از مهرماه افزایش می‌یابد",
        "همایش بین‌المللی حمل و نقل در تهران برگزار شد",
        "تصاویر نادری از یوزپلنگ ایرانی در پارک ملی ثبت شد",
        "ترمینال جدید فرودگاه مشهد به بهره‌برداری رسید",
        "رئیس‌جمهور با سرمایه‌گذاران خارجی درباره {n} طرح جدید گفت‌وگو کرد",
    ),
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The ministry's press service said so in a statement.",
        "According to the minister, the project should be completed within {n} months.",
        "The meeting discussed the social and economic development of the region.",
        "Analysts expect price growth to slow in the coming months.",
        "Local authorities urged residents to remain calm.",
        "This year {n} thousand hectares of wheat were sown in the region.",
        "Domestic companies will be involved in the construction work.",
        "The event brought together {n} delegates from different countries.",
        "Thanks to favourable weather, the harvest began ahead of schedule.",
        "New jobs will be created under the state programme.",
        "Lawmakers approved the bill in its first reading.",
        "Emergency workers remain at the scene.",
        "The project is estimated to cost about {n} billion tenge.",
        "During the meeting the two sides discussed expanding trade and economic cooperation.",
        "According to the national statistics bureau, annual inflation slowed to {n}%.",
        "The athletes are continuing to prepare for the next competitions.",
        "Officials said preparations for the heating season had been completed.",
        "Residents welcomed the opening of the new facility.",
    ),
    "ru": (
        "Об этом сообщила пресс-служба ведомства.",
        "По словам министра, проект должен быть завершён в течение {n} месяцев.",
        "На совещании обсуждались вопросы социально-экономического развития региона.",
        "По мнению экспертов, рост цен в ближайшие месяцы замедлится.",
        "Местные власти призвали жителей сохранять спокойствие.",
        "В этом году в области засеяно {n} тысяч гектаров пшеницы.",
        "К строительным работам будут привлечены отечественные компании.",
        "В мероприятии приняли участие {n} делегатов из разных стран.",
        "Благодаря хорошей погоде уборка урожая началась раньше срока.",
        "В рамках государственной программы будут созданы новые рабочие места.",
        "Депутаты одобрили законопроект в первом чтении.",
        "Сотрудники МЧС продолжают работу на месте происшествия.",
        "Стоимость проекта оценивается примерно в {n} миллиардов тенге.",
        "В ходе встречи стороны обсудили развитие торгово-экономического сотрудничества.",
        "По данным бюро национальной статистики, годовая инфляция замедлилась до {n}%.",
        "Спортсмены продолжают подготовку к следующим соревнованиям.",
        "Специалисты отметили, что подготовка к отопительному сезону полностью завершена.",
        "Жители с радостью встретили открытие нового объекта.",
    ),
    "kk": (
        "Бұл туралы ведомствоның баспасөз қызметі хабарлады.",
        "Министрдің айтуынша, жоба {n} айдың ішінде толық аяқталуы тиіс.",
        "Жиында өңірдің әлеуметтік-экономикалық дамуы талқыланды.",
        "Сарапшылардың пікірінше, бағаның өсуі алдағы айларда баяулайды.",
        "Жергілікті әкімдік тұрғындарды сабырлы болуға шақырды.",
        "Биыл облыста {n} мың гектар жерге бидай егілген.",
        "Құрылыс жұмыстарына отандық компаниялар тартылады.",
        "Іс-шараға түрлі елдерден келген {n} делегат қатысты.",
        "Ауа райы қолайлы болғандықтан, егін жинау мерзімінен бұрын басталды.",
        "Мемлекеттік бағдарлама аясында жаңа жұмыс орындары ашылады.",
        "Депутаттар заң жобасын бірінші оқылымда мақұлдады.",
        "Төтенше жағдайлар министрлігінің қызметкерлері оқиға орнында жұмысын жалғастыруда.",
        "Жобаның құны шамамен {n} миллиард теңге деп бағаланып отыр.",
        "Кездесу барысында тараптар сауда-экономикалық ынтымақтастықты дамыту мәселелерін талқылады.",
        "Ұлттық статистика бюросының деректері бойынша, жылдық инфляция {n} пайызға дейін баяулады.",
        "Спортшылар келесі жарыстарға дайындықты жалғастыруда.",
        "Мамандар жылу беру маусымына дайындық толық аяқталғанын атап өтті.",
        "Тұрғындар жаңа нысанның ашылуын қуанышпен қарсы алды.",
    ),
    "fa": (
        "این خبر را روابط عمومی وزارتخانه اعلام کرد.",
        "به گفته وزیر، این طرح باید ظرف {n} ماه به پایان برسد.",
        "در این نشست مسائل توسعه اقتصادی و اجتماعی منطقه بررسی شد.",
        "به عقیده کارشناسان، رشد قیمت‌ها در ماه‌های آینده کند خواهد شد.",
        "مقامات محلی از مردم خواستند آرامش خود را حفظ کنند.",
        "امسال در این استان {n} هزار هکتار زمین زیر کشت گندم رفته است.",
        "شرکت‌های داخلی در عملیات ساخت مشارکت خواهند داشت.",
        "در این مراسم {n} نماینده از کشورهای مختلف حضور داشتند.",
        "به دلیل مساعد بودن هوا، برداشت محصول زودتر از موعد آغاز شد.",
        "در چارچوب برنامه دولتی، فرصت‌های شغلی تازه‌ای ایجاد خواهد شد.",
        "نمایندگان لایحه را در شور نخست تصویب کردند.",
        "نیروهای امدادی همچنان در محل حادثه مشغول کار هستند.",
        "هزینه این طرح حدود {n} هزار میلیارد ریال برآورد شده است.",
        "دو طرف در این دیدار درباره گسترش همکاری‌های تجاری و اقتصادی گفت‌وگو کردند.",
        "بر اساس آمار مرکز ملی آمار، نرخ تورم سالانه به {n} درصد کاهش یافت.",
        "ورزشکاران آماده‌سازی برای مسابقات بعدی را ادامه می‌دهند.",
        "کارشناسان تأکید کردند که آمادگی برای فصل سرما کامل شده است.",
        "ساکنان از افتتاح این مرکز جدید استقبال کردند.",
    ),
}

BYLINES = {"en": "Staff correspondent", "ru": "Собственный корреспондент", "kk": "Тілші", "fa": "خبرنگار"}
PLACES = {"en": ("Astana", "Almaty", "Tehran", "Moscow"), "ru": ("Астана", "Алматы", "Москва", "Казань"),
          "kk": ("Астана", "Алматы", "Шымкент", "Ақтау"), "fa": ("تهران", "اصفهان", "مشهد", "شیراز")}
ZONES = {"en": timezone.utc, "ru": timezone(timedelta(hours=3)), "kk": timezone(timedelta(hours=5)),
         "fa": timezone(timedelta(hours=3, minutes=30))}
TOPICS = (("04000000", "economy, business and finance"), ("11000000", "politics"), ("15000000", "sport"),
          ("06000000", "environment"), ("05000000", "education"), ("03000000", "disaster, accident and emergency"),
          ("17000000", "weather"), ("13000000", "science and technology"))
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_LETTERS = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})  # how some Persian wires arrive


# (part of the file path, part of the function name, label) of the stages the profile reports.
@dataclass(frozen=True)
class Generated:
    """One benchmark item, with what the pipeline should find out about it."""

    uri: str
    language: str
    declared: bool
    headline: str
    paragraphs: tuple[str, ...]
    html: bool
    created: datetime
    located: str
    subjects: tuple[tuple[str, str], ...]

    @property
    def body(self) -> str:
        if self.html:
            return "\n".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        return "\n\n".join(self.paragraphs)

    def ninjs(self, with_standard: bool) -> bytes:
        doc: dict[str, Any] = {
            "uri": self.uri,
            "type": "text",
            "version": "1",
            "firstCreated": self.created.isoformat(),
            "versionCreated": (self.created + timedelta(minutes=3)).isoformat(),
            "pubStatus": "usable",
            "urgency": 5,
            "by": BYLINES[self.language],
            "located": self.located,
            "headlines": [{"role": "main", "value": self.headline}],
            "bodies": [{"role": "main", "contentType": "text/html" if self.html else "text/plain",
                        "value": self.body}],
            "subjects": [{"uri": f"http://cv.iptc.org/newscodes/mediatopic/{code}", "name": name,
                          "rel": "about"} for code, name in self.subjects],
        }
        if self.declared:
            doc["language"] = self.language
        if with_standard:
            doc["standard"] = {"name": "ninjs", "version": "3.1"}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _fill(template: str, rng: random.Random, language: str) -> str:
    if "{n}" not in template:
        return template
    number = str(rng.randint(2, 95))
    return template.replace("{n}", number.translate(PERSIAN_DIGITS) if language == "fa" else number)


def sample_headlines(seed: int = 1) -> list[tuple[str, str]]:
    """(language, headline) for every headline of the pools, numbers filled in."""
    rng = random.Random(seed)
    return [(language, _fill(h, rng, language)) for language, pool in HEADLINES.items() for h in pool]


def generate(count: int, seed: int) -> list[Generated]:
    """``count`` items, reproducible for a given ``seed``."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    out = []
    for index in range(count):
        language = rng.choice(("en", "ru", "kk", "fa"))
        headline = _fill(rng.choice(HEADLINES[language]), rng, language)
        paragraphs = tuple(
            " ".join(_fill(s, rng, language) for s in rng.sample(SENTENCES[language], rng.randint(2, 4)))
            for _ in range(rng.randint(3, 6)))
        if language == "fa" and rng.random() < 0.3:
            headline, paragraphs = headline.translate(ARABIC_LETTERS), tuple(
                p.translate(ARABIC_LETTERS) for p in paragraphs)
        created = (start + timedelta(seconds=17 * index)).astimezone(ZONES[language])
        out.append(Generated(
            uri=f"urn:newsbridge:bench:{seed}:{index:07d}", language=language,
            declared=rng.random() >= UNDECLARED_SHARE, headline=headline, paragraphs=paragraphs,
            html=rng.random() < HTML_SHARE, created=created, located=rng.choice(PLACES[language]),
            subjects=tuple(rng.sample(TOPICS, rng.randint(1, 2)))))
    return out


def rss_document(generated: Sequence[Generated]) -> bytes:
    """The same items as one RSS 2.0 channel (title, description, guid, pubDate)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
             "<title>Bench wire</title><link>https://bench.example/</link><description>All items</description>"]
    for g in generated:
        parts.append(
            f"<item><title>{escape(g.headline)}</title><description>{escape(g.body)}</description>"
            f'<guid isPermaLink="false">{escape(g.uri)}</guid><pubDate>{format_datetime(g.created)}</pubDate>'
            + "".join(f"<category>{escape(name)}</category>" for _code, name in g.subjects) + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")
