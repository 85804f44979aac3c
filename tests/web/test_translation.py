"""Machine translation on the item page, through a LibreTranslate-compatible service on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsbridge.desk.translation import LibreTranslate, TranslationFailed, translate_item

pytestmark = pytest.mark.anyio


class FakeLibreTranslate(BaseHTTPRequestHandler):
    """Translates by tagging the text with the target language, as a real service would answer."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeLibreTranslate.requests.append(body)
        status, answer = (500, {"error": "down"}) if body["q"] == "FAIL" else \
            (200, {"translatedText": f"[{body['target']}] {body['q']}"})
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLibreTranslate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_paragraphs_are_translated_one_by_one(service: str) -> None:
    translator = LibreTranslate(service, "key-1", allow=("127.0.0.0/8",))
    result = translate_item(translator, "Заголовок", "Первый абзац.\n\nВторой абзац.", "ru", "en")
    assert result.headline == "[en] Заголовок"
    assert result.text == "[en] Первый абзац.\n\n[en] Второй абзац."
    assert FakeLibreTranslate.requests[-1] | {"q": ""} == {"q": "", "source": "ru", "target": "en", "format": "text",
                                                           "api_key": "key-1"}


def test_a_failing_service_and_a_private_url_are_clear_errors(service: str) -> None:
    with pytest.raises(TranslationFailed):
        LibreTranslate(service, allow=("127.0.0.0/8",)).translate("FAIL", "ru", "en")
    with pytest.raises(Exception, match="NEWSBRIDGE_ALLOW_PRIVATE_TARGETS"):
        LibreTranslate(service).translate("Text", "ru", "en")


async def test_the_item_page_shows_the_translation_beside_the_original(app, sign_in, make_partner, client,
                                                                     service) -> None:
    hub = app.state.hub
    app.state.hub = hub.__class__(**{**hub.__dict__, "settings": hub.settings.replace(
        translator_url=service, allow_private_targets=("127.0.0.0/8",))})
    source = make_partner("irna")
    item = {"uri": "urn:irna:t:1", "language": "fa", "headlines": [{"value": "همکاری رسانه‌ای"}],
            "bodies": [{"contentType": "text/plain", "value": "بند نخست.\n\nبند دوم."}]}
    item_id = (await client.post("/api/v1/items", json=item, headers=source.headers)).json()["id"]
    editor = await sign_in("irna", "editor")
    plain = (await editor.get(f"/items/{item_id}")).text
    assert "Translate into my language" in plain and "Machine translation" not in plain
    side = (await editor.get(f"/items/{item_id}?translate=1")).text
    assert "[en] همکاری رسانه‌ای" in side and "[en] بند دوم." in side
    assert 'class="side-by-side"' in side and 'dir="rtl"' in side
