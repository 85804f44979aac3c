"""Words for the demo's generated wire items: datelines and headlines per language and Media Topic.

Invented for the demo in the partners' four languages, so that a desk full of generated history
reads like a desk (and a Persian headline is Persian, right to left).
"""

from __future__ import annotations

POLITICS, ECONOMY, CULTURE, MASS_MEDIA = "medtop:11000000", "medtop:04000000", "medtop:20000038", "medtop:20000045"
SCIENCE = "medtop:13000000"
INTERNATIONAL_RELATIONS, ECONOMY_NARROW, NATURAL_SCIENCE = "medtop:20000638", "medtop:20000344", "medtop:20000717"
# a narrower topic an item sometimes carries beside (or instead of) the broad one
NARROWER = {POLITICS: INTERNATIONAL_RELATIONS, ECONOMY: ECONOMY_NARROW, SCIENCE: NATURAL_SCIENCE}

DATELINES = {
    "en": ("ASTANA", "TEHRAN", "MOSCOW", "ALMATY", "MASHHAD", "KAZAN"),
    "ru": ("АСТАНА", "ТЕГЕРАН", "МОСКВА", "АЛМАТЫ", "АСТРАХАНЬ"),
    "kk": ("АСТАНА", "АЛМАТЫ", "ШЫМКЕНТ", "ТҮРКІСТАН", "АҚТАУ"),
    "fa": ("تهران", "مشهد", "اصفهان", "تبریز", "رشت"),
}

HEADLINES = {
    ("en", POLITICS): ("Foreign ministers discuss the North–South corridor", "Parliamentary delegation arrives for talks",
                       "Leaders agree to deepen regional cooperation", "Consultations on Caspian security held"),
    ("en", ECONOMY): ("Trade turnover grows in the first quarter", "New rail freight service launched",
                      "Grain exports reach a record", "Joint business forum signs twelve contracts"),
    ("en", CULTURE): ("Film week opens with a documentary premiere", "Museum lends manuscripts for an exhibition",
                      "Folk music festival gathers artists from ten countries", "Translation prize announced"),
    ("en", MASS_MEDIA): ("Journalists from partner agencies meet for training", "News agencies sign a photo exchange",
                         "Media forum discusses fact-checking", "Broadcasters plan a joint programme"),
    ("en", SCIENCE): ("Universities open a joint laboratory", "Caspian research vessel sets out",
                      "Scientists present a seismic study", "Space agencies discuss satellite data"),
    ("ru", POLITICS): ("Министры иностранных дел обсудили коридор Север–Юг", "В столицу прибыла парламентская делегация",
                       "Стороны договорились углублять региональное сотрудничество",
                       "Прошли консультации по безопасности на Каспии"),
    ("ru", ECONOMY): ("Товарооборот вырос в первом квартале", "Запущен новый железнодорожный грузовой маршрут",
                      "Экспорт зерна достиг рекорда", "Деловой форум завершился подписанием двенадцати контрактов"),
    ("ru", CULTURE): ("Неделя кино открылась премьерой документального фильма", "Музей представил рукописи на выставке",
                      "Фестиваль народной музыки собрал артистов из десяти стран", "Объявлены лауреаты премии переводчиков"),
    ("ru", MASS_MEDIA): ("Журналисты агентств-партнёров прошли стажировку", "Информагентства договорились об обмене фото",
                         "Медиафорум обсудил проверку фактов", "Телеканалы готовят совместную программу"),
    ("ru", SCIENCE): ("Университеты открыли совместную лабораторию", "Каспийское научное судно вышло в рейс",
                      "Учёные представили сейсмическое исследование", "Космические агентства обсудили спутниковые данные"),
    ("kk", POLITICS): ("Сыртқы істер министрлері Солтүстік–Оңтүстік дәлізін талқылады",
                       "Парламент делегациясы келіссөзге келді", "Тараптар өңірлік ынтымақтастықты тереңдетуге келісті",
                       "Каспий қауіпсіздігі бойынша кеңес өтті"),
    ("kk", ECONOMY): ("Бірінші тоқсанда тауар айналымы өсті", "Жаңа теміржол жүк бағыты іске қосылды",
                      "Астық экспорты рекордқа жетті", "Іскерлік форумда он екі келісімшартқа қол қойылды"),
    ("kk", CULTURE): ("Кино апталығы деректі фильм премьерасымен ашылды", "Мұражай қолжазбаларды көрмеге ұсынды",
                      "Халық музыкасы фестиваліне он елдің өнерпаздары жиналды", "Аудармашылар сыйлығының иегерлері аталды"),
    ("kk", MASS_MEDIA): ("Серіктес агенттіктердің журналистері тағылымдамадан өтті",
                         "Ақпарат агенттіктері фото алмасуға келісті", "Медиафорумда фактчекинг талқыланды",
                         "Телеарналар бірлескен бағдарлама дайындайды"),
    ("kk", SCIENCE): ("Университеттер бірлескен зертхана ашты", "Каспий ғылыми кемесі сапарға шықты",
                      "Ғалымдар сейсмикалық зерттеу ұсынды", "Ғарыш агенттіктері спутник деректерін талқылады"),
    ("fa", POLITICS): ("وزیران امور خارجه درباره کریدور شمال–جنوب گفت‌وگو کردند", "هیئت پارلمانی برای مذاکره وارد شد",
                       "دو طرف بر گسترش همکاری منطقه‌ای توافق کردند", "رایزنی درباره امنیت دریای خزر برگزار شد"),
    ("fa", ECONOMY): ("حجم تجارت در فصل نخست افزایش یافت", "خط جدید حمل بار ریلی راه‌اندازی شد",
                      "صادرات غلات به رکورد تازه رسید", "همایش تجاری با امضای دوازده قرارداد پایان یافت"),
    ("fa", CULTURE): ("هفته فیلم با نمایش یک مستند آغاز شد", "موزه نسخه‌های خطی را به نمایشگاه سپرد",
                      "جشنواره موسیقی محلی هنرمندانی از ده کشور را گرد هم آورد", "برندگان جایزه ترجمه معرفی شدند"),
    ("fa", MASS_MEDIA): ("خبرنگاران خبرگزاری‌های همکار دوره آموزشی گذراندند", "خبرگزاری‌ها بر تبادل عکس توافق کردند",
                         "همایش رسانه‌ای راستی‌آزمایی را بررسی کرد", "شبکه‌های تلویزیونی برنامه مشترک تهیه می‌کنند"),
    ("fa", SCIENCE): ("دانشگاه‌ها آزمایشگاه مشترک افتتاح کردند", "کشتی تحقیقاتی خزر راهی ماموریت شد",
                      "دانشمندان پژوهشی درباره زلزله ارائه کردند", "سازمان‌های فضایی درباره داده‌های ماهواره‌ای گفت‌وگو کردند"),
}

CORRECTED = {"en": "Corrected: a figure in the second paragraph.", "ru": "Исправлено: цифра во втором абзаце.",
             "kk": "Түзетілді: екінші абзацтағы сан.", "fa": "اصلاح شد: رقمی در بند دوم."}
WITHDRAWN = {"en": "Withdrawn: the report was wrong.", "ru": "Отозвано: сообщение было ошибочным.",
             "kk": "Қайтарып алынды: хабар қате болды.", "fa": "پس گرفته شد: خبر نادرست بود."}
BODY = {"en": "{dateline} – Partners of the exchange report on the event; details follow.",
        "ru": "{dateline} – Партнёры по обмену сообщают о событии; подробности следуют.",
        "kk": "{dateline} – Алмасу серіктестері оқиға туралы хабарлайды; толығырақ кейін.",
        "fa": "{dateline} – شرکای تبادل خبر این رویداد را گزارش می‌کنند؛ جزئیات در ادامه."}


def headline(language: str, topic: str, choice: int) -> str:
    options = HEADLINES[(language, topic)]
    return options[choice % len(options)]
