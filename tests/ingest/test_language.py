"""Language identification among the configured languages, on realistic news headlines."""

from __future__ import annotations

import pytest
from lingua import Language

from newsbridge.errors import InvalidInput
from newsbridge.ingest.language import SAMPLE_CHARS, Detection, _by_letters, detect_language, detector, lingua_language
from newsbridge.ingest.text import normalize_persian

LANGUAGES = ("en", "ru", "kk", "fa", "uk", "be", "mn", "ar", "tr")
ZWNJ = "\u200c"

HEADLINES: dict[str, list[str]] = {
    "en": [
        "Kazakhstan and Iran sign agreement to expand media cooperation",
        "Central bank raises interest rate to curb rising inflation",
        "Heavy snowfall closes mountain roads across the region",
        "Parliament approves new budget after lengthy debate",
        "National team qualifies for the World Cup for the first time",
        "Oil prices fall as global demand weakens",
    ],
    "ru": [
        "Президент Казахстана провёл переговоры с премьер-министром Ирана",
        "Центральный банк повысил базовую ставку до шестнадцати процентов",
        "В Астане открылся международный форум по цифровым технологиям",
        "Сильный снегопад парализовал движение на трассах страны",
        "Сборная России по хоккею выиграла товарищеский матч",
        "Правительство утвердило программу развития сельского хозяйства",
    ],
    "kk": [
        "Қазақстан мен Иран бұқаралық ақпарат құралдары саласындағы ынтымақтастықты кеңейтеді",
        "Астанада халықаралық цифрлық технологиялар форумы ашылды",
        "Ұлттық банк базалық мөлшерлемені өзгеріссіз қалдырды",
        "Елордада жаңа мектептер мен ауруханалар салынады",
        "Мемлекет басшысы Парламент депутаттарымен кездесті",
        "Қазақстан құрамасы әлем чемпионатының іріктеу кезеңінде жеңіске жетті",
        "Елімізде күзгі егін жинау науқаны аяқталды",
    ],
    "fa": [
        f"ایران و روسیه همکاری{ZWNJ}های رسانه{ZWNJ}ای خود را گسترش می{ZWNJ}دهند",
        "بانک مرکزی نرخ بهره را برای مهار تورم افزایش داد",
        f"بارش برف سنگین جاده{ZWNJ}های کوهستانی شمال کشور را مسدود کرد",
        "مجلس شورای اسلامی لایحه بودجه سال آینده را تصویب کرد",
        "تیم ملی فوتبال ایران به جام جهانی صعود کرد",
        f"رئیس{ZWNJ}جمهور با نخست{ZWNJ}وزیر قزاقستان در تهران دیدار کرد",
    ],
}
CASES = [(lang, text) for lang, texts in HEADLINES.items() for text in texts]
KAZAKH_ONLY_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def test_headline_table_is_big_enough() -> None:
    assert all(len(HEADLINES[lang]) >= 5 for lang in ("en", "ru", "kk", "fa"))
    assert sum(bool(KAZAKH_ONLY_LETTERS & set(text)) for text in HEADLINES["kk"]) >= 3


@pytest.mark.parametrize("expected, text", CASES)
def test_headlines_high_accuracy(expected: str, text: str) -> None:
    detection = detect_language(text, LANGUAGES, "high")

    assert detection.language == expected
    assert detection.confidence is not None
    assert 0 < detection.confidence <= 1


@pytest.mark.parametrize("expected, text", CASES)
def test_headlines_low_accuracy(expected: str, text: str) -> None:
    detection = detect_language(text, LANGUAGES, "low")

    assert detection.language == expected
    assert detection.confidence is not None
    assert 0 < detection.confidence <= 1


@pytest.mark.parametrize("arabic_spelling", [
    f"ايران و روسيه همكاري{ZWNJ}هاي رسانه{ZWNJ}اي خود را گسترش مي{ZWNJ}دهند",
    "بانك مركزي نرخ بهره را براي مهار تورم افزايش داد",
    f"رئيس{ZWNJ}جمهور با نخست{ZWNJ}وزير قزاقستان در تهران ديدار كرد",
])
def test_persian_with_arabic_letters_is_persian_once_normalized(arabic_spelling: str) -> None:
    assert {"\u064a", "\u0643"} & set(arabic_spelling)

    assert detect_language(normalize_persian(arabic_spelling), LANGUAGES).language == "fa"


@pytest.mark.parametrize("text", [
    "وزير الخارجية يلتقي نظيره الإيراني في الرياض لبحث العلاقات الثنائية",
    "البنك المركزي يرفع سعر الفائدة لكبح التضخم",
    "مجلس الوزراء يوافق على الميزانية الجديدة",
])
def test_arabic_headline_is_arabic(text: str) -> None:
    assert detect_language(text, LANGUAGES).language == "ar"


@pytest.mark.parametrize("text", ["", "   \n\t", "12", "2024-05-01 10:00", "!!! ???", "ab", "— 42 —"])
def test_too_little_text_is_undecided(text: str) -> None:
    assert detect_language(text, LANGUAGES) == Detection(None, None)


def test_only_the_first_characters_are_read() -> None:
    # A long Kazakh article that turns English after the sample is still Kazakh.
    kazakh = " ".join(HEADLINES["kk"] * 2)
    assert len(kazakh) > SAMPLE_CHARS
    text = kazakh + " " + " ".join(HEADLINES["en"] * 40)

    assert detect_language(text, LANGUAGES).language == "kk"


def test_only_configured_languages_are_answered() -> None:
    # Kazakh is not in the set: the answer must still be one of the configured languages.
    detection = detect_language(HEADLINES["kk"][0], ("en", "ru", "fa"))

    assert detection.language in {"en", "ru", "fa"}


@pytest.mark.parametrize("languages", [
    ("en", "ru", "xx"),
    ("en", "klingon"),
    ("en", ""),
    ("en", "fa-IR"),
])
def test_unknown_language_code_is_a_configuration_error(languages: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as caught:
        detect_language(HEADLINES["en"][0], languages)

    assert caught.value.field == "NEWSBRIDGE_LANGUAGES"
    assert "ISO 639-1" in caught.value.message


@pytest.mark.parametrize("languages", [("en",), ()])
def test_fewer_than_two_languages_is_a_configuration_error(languages: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as caught:
        detector(languages)

    assert caught.value.field == "NEWSBRIDGE_LANGUAGES"


@pytest.mark.parametrize("code, language", [
    ("en", Language.ENGLISH), ("ru", Language.RUSSIAN), ("kk", Language.KAZAKH), ("fa", Language.PERSIAN),
    ("FA", Language.PERSIAN), ("ar", Language.ARABIC), ("mn", Language.MONGOLIAN),
])
def test_lingua_language(code: str, language: Language) -> None:
    assert lingua_language(code) == language


def test_detector_is_built_once_per_setting() -> None:
    assert detector(LANGUAGES, "high") is detector(LANGUAGES, "high")
    assert detector(LANGUAGES, "low") is not detector(LANGUAGES, "high")


# The letters decide before lingua reads anything (ingest/language.py): only where lingua would say the same.
KAZAKH_NAMES_IN_RUSSIAN = ("Глава государства Қасым-Жомарт Тоқаев принял в Ақорде министра иностранных дел "
                           "Ирана и обсудил с ним развитие торговли, транзита и сотрудничества в сфере СМИ")


@pytest.mark.parametrize("languages, text, decided", [
    (LANGUAGES, HEADLINES["kk"][0], "kk"),  # ә ғ қ ң ұ һ in a quarter of the words
    (LANGUAGES, KAZAKH_NAMES_IN_RUSSIAN, None),  # three Kazakh names in a Russian text: lingua decides
    (LANGUAGES, HEADLINES["ru"][0], None),  # Russian has no letters of its own among these
    (LANGUAGES, HEADLINES["fa"][1], "fa"),  # Persian yeh and keheh, پ چ ژ گ
    (LANGUAGES, "وزير الخارجية يلتقي نظيره الإيراني في الرياض لبحث العلاقات الثنائية", None),  # Arabic: lingua
    (LANGUAGES + ("ur",), HEADLINES["fa"][1], None),  # Urdu writes Persian's letters too
    (LANGUAGES, HEADLINES["en"][0], None),  # English or Turkish: lingua
    (("en", "ru", "fa"), HEADLINES["en"][0], "en"),  # the only Latin-script language configured
    (("en", "ru", "fa"), HEADLINES["kk"][0], "ru"),  # the only Cyrillic one
    (("en", "ru", "fa"), "Astana Астана Астана", None),  # no script has four letters in five
    (("en", "ru", "fa"), "Ελλάδα και Κύπρος", None),  # a script no configured language writes
])
def test_the_letters_decide_only_where_they_can(languages: tuple[str, ...], text: str, decided: str | None) -> None:
    assert _by_letters(text, languages) == decided
    detection = detect_language(text, languages, "low")
    if decided is not None:
        assert detection == Detection(decided, 1.0)
    best = detector(languages, "low").compute_language_confidence_values(text)[0]  # what lingua alone says
    assert detection.language == (best.language.iso_code_639_1.name.lower() if best.value > 0 else None)


def test_lingua_reads_the_longer_sample_when_the_short_one_is_not_sure() -> None:
    # The start says little (names, figures); lingua reads on to the sample's end.
    text = ("Nursultan Nazarbayev, Kassym-Jomart Tokayev, Ebrahim Raisi: 2024, 2025. " * 2
            + " ".join(HEADLINES["en"]))
    assert detect_language(text, LANGUAGES, "low").language == "en"
    assert detect_language(text, LANGUAGES, "high").language == "en"
