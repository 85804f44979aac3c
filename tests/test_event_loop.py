"""The event loop stays free: a big upload and a crowd signing in do not freeze the hub.

Every request of a hub process goes through one asyncio loop. A blocking call made on it (a
database write waiting for SQLite's lock, argon2, parsing, language detection) stops every
other request for as long as it takes: with the sign-in form and the source poller writing on
the loop, a static file took 25.9 s during a 25,000-item upload. The hub is served by a real
``newsbridge serve`` process here, so the clock of the probe is not shared with the server.
"""

from __future__ import annotations

import ast
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing
from tests.live_server import serve_process

pytestmark = pytest.mark.serial  # a latency bound: run alone, after the parallel run
PACKAGE = Path(__file__).resolve().parents[1] / "newsbridge"
ITEMS = 4_000
SIGN_INS = 15
P99_BOUND = 0.2
LANGUAGES = ("en", "ru", "kk", "fa")


def hub_process(database_url: str, log: Path) -> AbstractContextManager[str]:
    """``newsbridge serve`` in a process of its own (source poller and delivery worker included),
    its standard error in ``log``."""
    return serve_process({"NEWSBRIDGE_DATABASE_URL": database_url, "NEWSBRIDGE_LOG_LEVEL": "WARNING",
                          "NEWSBRIDGE_MAX_BODY_BYTES": "20000000", "NEWSBRIDGE_LANGUAGES": ",".join(LANGUAGES)}, log)


def wire_items(count: int) -> bytes:
    """A JSON array of ninjs 3.x items; every fourth has no declared language (the detector runs)."""
    words = {"en": "The ministry said the new terminal will open next spring after the works end",
             "ru": "Министерство сообщило что новый терминал откроется следующей весной после работ",
             "kk": "Министрлік жаңа терминал келесі көктемде жұмыстар аяқталған соң ашылатынын хабарлады",
             "fa": "وزارت اعلام کرد که پایانه جدید بهار آینده پس از پایان کارها افتتاح می‌شود"}
    items = []
    for n in range(count):
        language = LANGUAGES[n % len(LANGUAGES)]
        item = {"uri": f"urn:wire:load:{n}", "version": "1", "type": "text",
                "headlines": [{"role": "main", "value": f"{words[language][:40]} {n}"}],
                "bodies": [{"role": "main", "contentType": "text/html",
                            "value": f"<p>{words[language]}.</p><p>{words[language]} ({n}).</p>"}],
                "subjects": [{"name": "mass media", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000045"}]}
        if n % 4:
            item["language"] = language
        items.append(item)
    return json.dumps(items, ensure_ascii=False).encode()


def test_healthz_answers_within_200_ms_during_a_big_upload_and_15_sign_ins(engine: Engine, make_partner,
                                                                            tmp_path: Path) -> None:
    wire = make_partner("wire")
    password = "correct horse battery"
    emails = [f"editor{n}@wire.example" for n in range(SIGN_INS)]
    with writing(engine) as conn:
        for email in emails:
            add_member(conn, "wire", email, email, "editor", password)
    body = wire_items(ITEMS)
    url = engine.url.render_as_string(hide_password=False)

    with hub_process(url, tmp_path / "hub.log") as base:
        latencies: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                while not stop.is_set():
                    started = time.perf_counter()
                    assert http.get("/healthz").status_code == 200
                    latencies.append(time.perf_counter() - started)
                    time.sleep(0.02)

        def upload() -> httpx.Response:
            return httpx.post(f"{base}/api/v1/items:upload", content=body, headers=wire.headers, timeout=120)

        def sign_in(email: str) -> httpx.Response:
            time.sleep(0.5)  # while the upload is being stored
            return httpx.post(f"{base}/login", data={"email": email, "password": password}, timeout=120)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            with ThreadPoolExecutor(SIGN_INS + 1) as pool:
                uploaded = pool.submit(upload)
                signed = list(pool.map(sign_in, emails))
                uploaded_response = uploaded.result()
        finally:
            stop.set()
            prober.join()

    assert uploaded_response.status_code == 201, uploaded_response.text[:500]
    assert len(uploaded_response.json()["items"]) == ITEMS
    assert [r.status_code for r in signed] == [303] * SIGN_INS
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    assert len(latencies) > 50, latencies
    assert p99 < P99_BOUND, \
        f"/healthz p99 {p99 * 1000:.0f} ms over {len(latencies)} probes, worst {latencies[-1]:.2f} s"


# Calls that touch the database or burn CPU: an ``async def`` must hand them to a thread
# (run_in_threadpool, asyncio.to_thread, db.engine.read, members.password_threads) or be a plain ``def``.
BLOCKING = {
    "writing", "reading",  # a transaction; a write on SQLite waits up to 30 s for the lock
    "page", "_context", "_form_page", "_agreement_page", "html_error",  # templates, and the queries feeding them
    "check_password", "new_password_hash", "add_member",  # argon2
    "ingest_item", "ingest_document", "ingest_items", "ingest_ninjs", "parse", "parse_document",
    "render", "render_newsml",
}


def _called_names(function: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    """The names ``function`` calls itself: functions defined inside it run where they are sent."""
    todo: list[ast.AST] = list(function.body)  # type: ignore[attr-defined]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else None
            if name:
                yield name, node
        todo.extend(ast.iter_child_nodes(node))


def _blocking_in(tree: ast.Module) -> set[str]:
    """BLOCKING, plus the module's own plain functions that call one of them (a wrapper blocks too)."""
    plain = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    blocking = set(BLOCKING)
    while True:
        more = {name for name, node in plain.items()
                if name not in blocking and any(called in blocking for called, _ in _called_names(node))}
        if not more:
            return blocking
        blocking |= more


def test_no_async_def_calls_the_database_or_cpu_heavy_code_on_the_event_loop() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        blocking = _blocking_in(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                found += [f"{path.relative_to(PACKAGE.parent)}:{call.lineno} {node.name}() calls {name}"
                          for name, call in _called_names(node) if name in blocking]
    assert found == []
