"""The far side of the translation backends: a small HTTP server on loopback speaking the
LibreTranslate API (``POST /translate``, ``GET /languages``) and DeepL's (``POST /v2/translate``).

It translates word for word from a small table (unknown words, numbers and glossary placeholders
pass through, as they do through a real engine), checks keys the way the real services do, and
records every request so tests can see what left the hub. ``FAIL`` in a text makes it answer 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.live_server import start_http_server

WORDS: dict[tuple[str, str], dict[str, str]] = {
    ("ru", "en"): {"президент": "president", "встретился": "met", "с": "with", "в": "in", "министр": "minister",
                   "переговоры": "talks", "первый": "first", "абзац": "paragraph", "второй": "second",
                   "заголовок": "headline", "агентство": "agency", "сообщает": "reports"},
    ("fa", "en"): {"همکاری": "cooperation", "رسانه‌ای": "media", "بند": "paragraph", "نخست": "first",
                   "دوم": "second", "رئیس‌جمهور": "president", "دیدار": "meeting", "کرد": "held", "با": "with"},
    ("kk", "en"): {"президенті": "president", "кездесті": "met", "мен": "and", "келіссөз": "talks"},
    ("en", "ru"): {"president": "президент", "met": "встретился", "with": "с", "talks": "переговоры",
                   "in": "в", "the": ""},
    ("en", "kk"): {"president": "президенті", "met": "кездесті", "talks": "келіссөздер"},
}
LANGUAGES = ("en", "ru", "kk", "fa")
_WORD = re.compile(r"[\w\u200c]+")  # a Persian word keeps its zero-width non-joiner


def word_for_word(text: str, source: str, target: str) -> str:
    table = WORDS.get((source, target), {})
    out = _WORD.sub(lambda m: table.get(m.group(0).lower(), m.group(0)), text)
    return " ".join(out.split())


@dataclass
class FarSide:
    url: str
    api_key: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def texts_sent(self) -> list[str]:
        found: list[str] = []
        for body in self.requests:
            value = body.get("q", body.get("text"))
            found += value if isinstance(value, list) else [value]
        return found


def _handler(side: FarSide) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/languages":
                return self._answer(200, [{"code": c, "name": c, "targets": list(LANGUAGES)} for c in LANGUAGES])
            self._answer(404, {"error": "Not Found"})

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            if self.headers.get("content-type", "").startswith("application/json"):
                return json.loads(raw)
            return {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}

        def do_POST(self) -> None:  # noqa: N802
            body = self._body()
            side.requests.append({**body, "path": self.path, "authorization": self.headers.get("authorization")})
            if self.path == "/translate":
                return self._libretranslate(body)
            if self.path == "/v2/translate":
                return self._deepl(body)
            self._answer(404, {"error": "Not Found"})

        def _libretranslate(self, body: dict[str, Any]) -> None:
            if body.get("api_key") != side.api_key:
                return self._answer(403, {"error": "Invalid API key"})
            source, target, q = body.get("source"), body.get("target"), body.get("q")
            if target not in LANGUAGES or (source != "auto" and source not in LANGUAGES):
                return self._answer(400, {"error": f"{target} is not supported"})
            texts = q if isinstance(q, list) else [q]
            if any("FAIL" in t for t in texts):
                return self._answer(500, {"error": "Cannot translate text: engine down"})
            out = [word_for_word(t, source, target) for t in texts]
            self._answer(200, {"translatedText": out if isinstance(q, list) else out[0]})

        def _deepl(self, body: dict[str, Any]) -> None:
            if self.headers.get("authorization") != f"DeepL-Auth-Key {side.api_key}":
                return self._answer(403, {"message": "Forbidden"})
            target = str(body.get("target_lang", "")).lower().split("-")[0]
            source = str(body.get("source_lang", "")).lower()
            if target not in LANGUAGES:
                return self._answer(400, {"message": "Value for 'target_lang' not supported."})
            texts = body.get("text") or []
            if any("FAIL" in t for t in texts):
                return self._answer(500, {"message": "Internal error"})
            self._answer(200, {"translations": [{"detected_source_language": source.upper() or "RU",
                                                 "text": word_for_word(t, source or "ru", target)} for t in texts]})

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def far_side(api_key: str = "far-side-key") -> Iterator[FarSide]:
    """A translation service on 127.0.0.1 (a free port) for the duration of the block."""
    side = FarSide("", api_key)
    server, _thread = start_http_server("127.0.0.1", _handler(side))
    side.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield side
    finally:
        server.shutdown()
        server.server_close()
