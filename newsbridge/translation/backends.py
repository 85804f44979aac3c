"""Translation backends: one small protocol, a real implementation per API, an in-memory one.

``Translator.translate(texts, source, target)`` translates a batch of plain texts (paragraphs)
and answers them in order. The HTTP backends post through the SSRF guard (targets.py): the URL
is resolved once, must be public unless ``NEWSBRIDGE_ALLOW_PRIVATE_TARGETS`` allows its range,
and the connection goes to the address that was checked.

* :class:`LibreTranslate`: ``POST {url}/translate`` with ``q`` (a list), ``source``, ``target``,
  ``format: text`` and ``api_key``; the answer's ``translatedText`` is the list translated. This
  is the API of LibreTranslate and of the Argos-based services that copy it.
* :class:`DeepL`: ``POST {url}/v2/translate`` with ``text`` (a list), ``source_lang``,
  ``target_lang`` and the key in ``Authorization: DeepL-Auth-Key``; the answer's
  ``translations[].text``.
* :class:`Dictionary`: word for word from a table, in memory: the development and test double
  (its name says what it is, so a page never passes it off as a real engine).

* :class:`~newsbridge.translation.ctranslate2_backend.CTranslate2`: OPUS-MT or NLLB models the
  operator converted for CTranslate2, in a directory on this machine (``NEWSBRIDGE_TRANSLATOR=
  ctranslate2``, ``NEWSBRIDGE_TRANSLATOR_MODEL_DIR``); loaded in the hub's process, no URL.

No weights ship here: no package on PyPI carries kk/fa/ru↔en weights (Argos, OPUS-MT and NLLB
packages all download theirs from a model hub, which this hub cannot reach); docs/translation.md
says which models to convert.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx

from newsbridge.config import Settings
from newsbridge.errors import TranslationFailed
from newsbridge.targets import check_url, host_header

MAX_BATCH = 50  # texts per request: an item's paragraphs fit in one or two


class Translator(Protocol):
    name: str  # shown beside every machine translation ("LibreTranslate", "DeepL")

    def translate(self, texts: list[str], source: str | None, target: str) -> list[str]:
        """``texts`` translated from ``source`` (None: let the engine detect it) into ``target``."""
        ...


def _post(url: str, allow: tuple[str, ...], timeout: float, body: dict[str, Any],
          headers: dict[str, str] | None = None) -> Any:
    target = check_url(url, allow)
    try:
        with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as client:
            request = client.build_request("POST", target.connect_url(), json=body,
                                           headers={"host": host_header(target), **(headers or {})},
                                           extensions={"sni_hostname": target.host})
            response = client.send(request)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TranslationFailed(f"the translation service did not translate: {exc}"[:300], field="translator") \
            from None


def _batches(texts: list[str]) -> list[list[str]]:
    return [texts[i:i + MAX_BATCH] for i in range(0, len(texts), MAX_BATCH)]


def _strings(value: Any, expected: int) -> list[str]:
    if not isinstance(value, list) or len(value) != expected or not all(isinstance(v, str) for v in value):
        raise TranslationFailed(f"the translation service answered {expected} texts with something else",
                                field="translator")
    return value


class LibreTranslate:
    """A self-hosted LibreTranslate (or compatible) service."""

    name = "LibreTranslate"

    def __init__(self, url: str, api_key: str = "", allow: tuple[str, ...] = (), timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.allow = allow
        self.timeout = timeout

    def translate(self, texts: list[str], source: str | None, target: str) -> list[str]:
        found: list[str] = []
        for batch in _batches(texts):
            body: dict[str, Any] = {"q": batch, "source": source or "auto", "target": target, "format": "text"}
            if self.api_key:
                body["api_key"] = self.api_key
            answer = _post(f"{self.url}/translate", self.allow, self.timeout, body)
            found += _strings(answer.get("translatedText") if isinstance(answer, dict) else None, len(batch))
        return found


# DeepL names English and Portuguese targets by variant; a bare code is refused for them.
_DEEPL_TARGETS = {"en": "EN-GB", "pt": "PT-PT"}


class DeepL:
    """DeepL's API (``https://api.deepl.com`` or ``https://api-free.deepl.com``)."""

    name = "DeepL"

    def __init__(self, url: str, api_key: str, allow: tuple[str, ...] = (), timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.allow = allow
        self.timeout = timeout

    def translate(self, texts: list[str], source: str | None, target: str) -> list[str]:
        found: list[str] = []
        for batch in _batches(texts):
            body: dict[str, Any] = {"text": batch, "target_lang": _DEEPL_TARGETS.get(target, target.upper())}
            if source:
                body["source_lang"] = source.upper()
            answer = _post(f"{self.url}/v2/translate", self.allow, self.timeout, body,
                           {"authorization": f"DeepL-Auth-Key {self.api_key}"})
            rows = answer.get("translations") if isinstance(answer, dict) else None
            texts_back = [row.get("text") for row in rows] if isinstance(rows, list) and \
                all(isinstance(row, dict) for row in rows) else None
            found += _strings(texts_back, len(batch))
        return found


_WORD = re.compile(r"\w+", re.UNICODE)


class Dictionary:
    """Word for word from ``table`` ({(source, target): {word: translation}}), unknown words kept:
    in memory, for development and tests. Not a translation engine, and named so."""

    name = "word list (test)"

    def __init__(self, table: dict[tuple[str, str], dict[str, str]]) -> None:
        self.table = table
        self.calls: list[tuple[list[str], str | None, str]] = []

    def translate(self, texts: list[str], source: str | None, target: str) -> list[str]:
        self.calls.append((list(texts), source, target))
        words = self.table.get((source or "", target), {})
        return [_WORD.sub(lambda m: words.get(m.group(0).lower(), m.group(0)), text) for text in texts]


def translator_from_settings(settings: Settings) -> Translator | None:
    """The translator the settings name (``NEWSBRIDGE_TRANSLATOR`` at ``NEWSBRIDGE_TRANSLATOR_URL``,
    or the local models in ``NEWSBRIDGE_TRANSLATOR_MODEL_DIR``), or None when no URL is set: the hub
    then offers no machine translation."""
    if settings.translator == "ctranslate2" and settings.translator_model_dir:
        from newsbridge.translation.ctranslate2_backend import local_translator  # imports no model package

        return local_translator(settings.translator_model_dir)
    if not settings.translator_url:
        return None
    if settings.translator == "deepl":
        return DeepL(settings.translator_url, settings.translator_api_key, settings.allow_private_targets)
    return LibreTranslate(settings.translator_url, settings.translator_api_key, settings.allow_private_targets)
