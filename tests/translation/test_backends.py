"""The translation backends against a real HTTP server on loopback speaking each API (far_side.py),
and the in-memory double: one conformance test over all of them, then what is particular to each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsbridge.config import load_settings
from newsbridge.errors import InvalidInput, TranslationFailed
from newsbridge.translation.backends import DeepL, Dictionary, LibreTranslate, Translator, translator_from_settings
from tests.translation.far_side import WORDS, FarSide

LOOPBACK = ("127.0.0.0/8",)
BACKENDS: dict[str, Callable[[FarSide], Translator]] = {
    "libretranslate": lambda side: LibreTranslate(side.url, side.api_key, LOOPBACK),
    "deepl": lambda side: DeepL(side.url, side.api_key, LOOPBACK),
    "dictionary": lambda side: Dictionary(WORDS),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_comes_back_translated_in_order(service: FarSide, backend: str) -> None:
    translator = BACKENDS[backend](service)
    texts = ["Президент встретился с министром", "Второй абзац", "⟦0⟧ сообщает"]
    assert translator.translate(texts, "ru", "en") == ["president met with министром", "second paragraph",
                                                       "⟦0⟧ reports"]
    assert translator.name


@pytest.mark.parametrize("backend", ["libretranslate", "deepl"])
def test_a_long_item_goes_in_batches_of_fifty(service: FarSide, backend: str) -> None:
    texts = [f"абзац {n}" for n in range(120)]
    assert BACKENDS[backend](service).translate(texts, "ru", "en") == [f"paragraph {n}" for n in range(120)]
    assert [len(r.get("q") or r.get("text")) for r in service.requests] == [50, 50, 20]


def test_libretranslate_speaks_its_api(service: FarSide) -> None:
    LibreTranslate(service.url, service.api_key, LOOPBACK).translate(["Заголовок"], None, "en")
    [sent] = service.requests
    assert sent | {"authorization": None} == {"q": ["Заголовок"], "source": "auto", "target": "en", "format": "text",
                                              "api_key": "far-side-key", "path": "/translate", "authorization": None}


def test_deepl_speaks_its_api(service: FarSide) -> None:
    assert DeepL(service.url, service.api_key, LOOPBACK).translate(["Президент"], "ru", "en") == ["president"]
    [sent] = service.requests
    assert sent == {"text": ["Президент"], "source_lang": "RU", "target_lang": "EN-GB", "path": "/v2/translate",
                    "authorization": "DeepL-Auth-Key far-side-key"}


@pytest.mark.parametrize("backend", ["libretranslate", "deepl"])
@pytest.mark.parametrize(("change", "texts"), [
    ({}, ["FAIL here"]),  # the service answers 500
    ({"api_key": "wrong"}, ["Президент"]),  # 403
    ({"url": "http://127.0.0.1:9"}, ["Президент"]),  # nothing listens
])
def test_a_failing_service_is_a_translation_failed_error(service: FarSide, backend: str, change: dict[str, str],
                                                          texts: list[str]) -> None:
    cls = LibreTranslate if backend == "libretranslate" else DeepL
    translator = cls(change.get("url", service.url), change.get("api_key", service.api_key), LOOPBACK, timeout=5)
    with pytest.raises(TranslationFailed) as caught:
        translator.translate(texts, "ru", "en")
    assert caught.value.status == 502 and caught.value.code == "translation_failed"


@pytest.mark.parametrize("backend", ["libretranslate", "deepl"])
def test_a_private_address_is_refused_unless_the_operator_allows_it(service: FarSide, backend: str) -> None:
    cls = LibreTranslate if backend == "libretranslate" else DeepL
    with pytest.raises(InvalidInput, match="NEWSBRIDGE_ALLOW_PRIVATE_TARGETS"):
        cls(service.url, service.api_key).translate(["Президент"], "ru", "en")
    assert service.requests == []


def test_the_settings_choose_the_backend() -> None:
    assert translator_from_settings(load_settings(env={})) is None
    libre = translator_from_settings(load_settings(env={"NEWSBRIDGE_TRANSLATOR_URL": "https://mt.example"}))
    deepl = translator_from_settings(load_settings(env={"NEWSBRIDGE_TRANSLATOR_URL": "https://api-free.deepl.com",
                                                        "NEWSBRIDGE_TRANSLATOR": "DeepL"}))
    assert isinstance(libre, LibreTranslate) and isinstance(deepl, DeepL)
    with pytest.raises(InvalidInput, match="NEWSBRIDGE_TRANSLATOR"):
        load_settings(env={"NEWSBRIDGE_TRANSLATOR": "google"})
