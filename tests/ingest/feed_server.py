"""A publisher's feed on loopback, for tests that poll over real HTTP.

``FeedServer`` is a threaded ``http.server`` on 127.0.0.1 serving one document at every path.
A test changes what it serves between polls, the way a publisher edits its feed:

* ``FeedServer(RSS, etag='"v1"', last_modified="Tue, 10 Mar 2026 08:00:00 GMT")`` serves RSS
  with those validators; ``publish(doc, etag=..., last_modified=...)`` replaces all three;
* ``status = 500`` makes it answer that status (with a short body) until set back to 200;
* when the served status is 200 and the client's ``If-None-Match`` names the current ETag (or,
  without ``If-None-Match``, its ``If-Modified-Since`` is not older than ``Last-Modified``), it
  answers ``304 Not Modified`` with no body, as RFC 9110 section 13.2.2 orders the checks.

Every request is recorded (path, lower-case headers, the status answered) before the answer
is sent, so a test that awaited its poll can assert at once which validators were sent.
Use it as a context manager: ``with FeedServer(doc) as server: server.url``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"

from tests.live_server import start_http_server


@dataclass(frozen=True)
class FeedRequest:
    """One GET as the server saw it; header names are lower case."""

    path: str
    headers: dict[str, str]
    status: int  # what the server answered


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 8.8.3.2), as If-None-Match requires; ``*`` matches any ETag."""
    def opaque(tag: str) -> str:
        return tag.strip().removeprefix("W/")
    candidates = [c for c in if_none_match.split(",") if c.strip()]
    return any(c.strip() == "*" or opaque(c) == opaque(etag) for c in candidates)


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC says: send the document


class FeedServer:
    def __init__(self, document: bytes = b"", *, content_type: str = RSS_TYPE, etag: str | None = None,
                 last_modified: str | None = None, status: int = 200, host: str = "127.0.0.1") -> None:
        self.host = host
        self._lock = threading.Lock()
        self._document = document
        self._content_type = content_type
        self._etag = etag
        self._last_modified = last_modified
        self.status = status  # a test may set it between polls
        self._requests: list[FeedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- programming -------------------------------------------------------------------

    def publish(self, document: bytes, *, etag: str | None = None, last_modified: str | None = None,
                content_type: str | None = None) -> None:
        """Serve ``document`` from now on, with these validators (None: the response has none)."""
        with self._lock:
            self._document = document
            self._etag = etag
            self._last_modified = last_modified
            if content_type is not None:
                self._content_type = content_type

    def _answer(self, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            if self.status != 200:
                return self.status, {"content-type": "text/plain"}, f"status {self.status}".encode()
            validators = {k: v for k, v in (("etag", self._etag), ("last-modified", self._last_modified)) if v}
            if "if-none-match" in headers:
                fresh = self._etag is not None and _etag_matches(headers["if-none-match"], self._etag)
            else:
                fresh = ("if-modified-since" in headers and self._last_modified is not None
                         and _not_modified_since(headers["if-modified-since"], self._last_modified))
            if fresh:
                return 304, validators, b""
            return 200, {"content-type": self._content_type, **validators}, self._document

    # -- what arrived ------------------------------------------------------------------

    @property
    def requests(self) -> list[FeedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last(self) -> FeedRequest:
        requests = self.requests
        assert requests, "the feed server has not been asked for anything yet"
        return requests[-1]

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first (use it as a context manager)"
        return self._server.server_address[1]

    def url_for(self, path: str = "/feed.xml") -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{literal}:{self.port}{path}"

    @property
    def url(self) -> str:
        return self.url_for()

    def __enter__(self) -> "FeedServer":
        feed = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real publisher; every answer has a length

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, response_headers, body = feed._answer(headers)
                with feed._lock:
                    feed._requests.append(FeedRequest(self.path, headers, status))
                self.send_response(status)
                for name, value in response_headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("content-length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

        self._server, self._thread = start_http_server(self.host, Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
