"""Machine translation for the desk, through a LibreTranslate-compatible service the operator runs.

The translator is a small protocol: the real one posts to ``{url}/translate`` (the
LibreTranslate API, which self-hosted services such as LibreTranslate and Argos-based servers
speak) through the SSRF guard; tests bring a loopback service. Nothing is sent anywhere unless
``NEWSBRIDGE_TRANSLATOR_URL`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from newsbridge.errors import NewsbridgeError
from newsbridge.targets import check_url, host_header


class TranslationFailed(NewsbridgeError):
    status = 502
    code = "translation_failed"


@dataclass(frozen=True)
class Translation:
    language: str
    headline: str
    text: str


class Translator(Protocol):
    def translate(self, text: str, source: str | None, target: str) -> str: ...


class LibreTranslate:
    """``POST {url}/translate`` with ``q``, ``source``, ``target``, ``format`` (and ``api_key``)."""

    def __init__(self, url: str, api_key: str = "", allow: tuple[str, ...] = (), timeout: float = 20.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.allow = allow
        self.timeout = timeout

    def translate(self, text: str, source: str | None, target: str) -> str:
        if not text.strip():
            return text
        target_url = check_url(f"{self.url}/translate", self.allow)
        body = {"q": text, "source": source or "auto", "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                request = client.build_request("POST", target_url.connect_url(), json=body,
                                               headers={"host": host_header(target_url)},
                                               extensions={"sni_hostname": target_url.host})
                response = client.send(request)
            response.raise_for_status()
            return str(response.json()["translatedText"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise TranslationFailed(f"the translation service did not translate: {exc}"[:300], field="translator") \
                from None


def translate_item(translator: Translator, headline: str, text: str, source: str | None, target: str) -> Translation:
    """The item's headline and text in ``target`` (paragraph breaks kept)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    translated = [translator.translate(p, source, target) for p in paragraphs]
    return Translation(target, translator.translate(headline, source, target), "\n\n".join(translated))
