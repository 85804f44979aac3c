"""The parts of bench/statement_plans.py's day that are not publishing: a joint project from start to joint
publication, a polled feed, media pushed to a partner's bucket, and the alert digest.

* **project**: alpha starts a project with beta under their agreement, beta accepts; for each of three
  articles alpha saves the English draft and beta the Russian one, alpha moves it to review, both editors
  approve and alpha publishes it jointly; beta's editor reads the project's page and both read its events;
* **polling**: alpha polls a feed of its own (an RSS document of twelve entries served by a fetcher that
  stands in for the network) three times: new entries, the same entries, then two of them changed;
* **pushes**: beta pushes the originals of what it receives to its S3 bucket (a push target made once); alpha
  uploads photos, and the push worker scans, claims, chooses each rendition and records it pushed, its S3
  client and upload stubbed out;
* **digest**: the alert digest of every member, composed as ``newsbridge alerts digest`` composes it, into
  a mailer that keeps the messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import patch

import httpx
import sqlalchemy as sa

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member, list_members
from newsbridge.accounts.organizations import get_organization
from newsbridge.alerts.digest import send_digests
from newsbridge.alerts.mail import MemoryMailer
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.ingest.polling import Fetched, Poller
from newsbridge.ingest.sources import add_source, poll_soon
from newsbridge.media import push_worker
from newsbridge.media.push_targets import create_target, list_targets
from newsbridge.media.push_worker import PushWorker
from newsbridge.targets import Target
from newsbridge.web.views.alerts import digest_message

ALPHA_EDITOR = "editor@alpha.example"
BETA_EDITOR = "editor@beta.example"
ARTICLES = 3
ENTRIES = 12


def keys(engine: sa.Engine, password: str) -> tuple[dict[str, str], dict[str, str]]:
    """Request headers for alpha and beta (keys made for this run), and alpha's editor made once."""
    with writing(engine) as conn:
        _, alpha_key = create_api_key(conn, "alpha", label="bench/plans_workload.py")
        _, beta_key = create_api_key(conn, "beta", label="bench/plans_workload.py")
        if ALPHA_EDITOR not in {member.email for member in list_members(conn, "alpha")}:
            add_member(conn, "alpha", ALPHA_EDITOR, "Alpha Editor", "editor", password)
    return {"Authorization": f"Bearer {alpha_key}"}, {"Authorization": f"Bearer {beta_key}"}


def _ok(answer: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in (statuses or (200,)), (answer.request.url, answer.status_code, answer.text[:300])
    return answer.json() if answer.content else {}


async def project(http: httpx.AsyncClient, editor: httpx.AsyncClient, alpha: dict[str, str], beta: dict[str, str],
                  run: str) -> int:
    """A joint project from its start to three jointly published articles; the articles published."""
    agreements = _ok(await http.get("/api/v1/agreements", headers=alpha))["agreements"]
    agreement = next(a["id"] for a in agreements if a["status"] == "active")
    made = _ok(await http.post("/api/v1/projects", headers=alpha, json={
        "title": f"Media cooperation series {run}", "agreement": agreement, "participants": ["alpha", "beta"],
        "languages": ["en", "ru"], "starts": "2026-01-01", "ends": "2027-12-31"}), 201)
    url = f"/api/v1/projects/{made['id']}"
    _ok(await http.post(f"{url}:accept", headers=beta))
    published = 0
    for n in range(ARTICLES):
        deliverable = _ok(await http.post(f"{url}/deliverables", headers=alpha, json={
            "title": f"Article {n}: grain by rail", "kind": "article", "assignee": "alpha",
            "assignee_member": ALPHA_EDITOR, "due": "2027-06-01"}), 201)
        at = f"{url}/deliverables/{deliverable['id']}"
        for headers, language, headline in ((alpha, "en", f"Grain by rail, part {n}"),
                                            (beta, "ru", f"Зерно по железной дороге, часть {n}")):
            _ok(await http.put(f"{at}/drafts/{language}", headers=headers, json={
                "base_revision": 0, "headline": headline, "lead": headline, "body_text": f"{headline}. " * 8}))
        _ok(await http.post(f"{at}:move", headers=alpha, json={"to": "in_review"}))
        _ok(await http.post(f"{at}:approve", headers=beta, json={"member": BETA_EDITOR}))
        _ok(await http.post(f"{at}:approve", headers=alpha, json={"member": ALPHA_EDITOR}))
        _ok(await http.post(f"{at}:publish", headers=alpha, json={"member": ALPHA_EDITOR}))
        published += 1
        _ok(await http.get(f"{at}", headers=beta))
    for headers in (alpha, beta):
        _ok(await http.get(url, headers=headers))
        _ok(await http.get(f"{url}/events", headers=headers))
    for path in ("/projects", f"/projects/{made['id']}"):
        assert (await editor.get(path)).status_code == 200, path
    return published


class Feed:
    """A fetcher that answers every poll with the RSS document of the moment (no network)."""

    def __init__(self, run: str) -> None:
        self.run, self.changed = run, 0

    def document(self) -> bytes:
        entries = "".join(
            f"<item><guid>urn:bench:poll:{self.run}:{n}</guid><title>Polled report {n}"
            f"{' (updated)' if n < self.changed else ''}</title><link>https://alpha.example/{self.run}/{n}</link>"
            f"<description>Grain exports by rail rose {n + 3} per cent, the ministry said.</description>"
            f"<pubDate>Mon, 07 Dec 2026 0{n % 10}:00:00 GMT</pubDate></item>" for n in range(ENTRIES))
        channel = "<title>Alpha wire</title><link>https://alpha.example/</link><description>Alpha</description>"
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
                f"<channel>{channel}{entries}</channel></rss>").encode()

    async def fetch(self, target: Target, etag: str | None, last_modified: str | None) -> Fetched:
        return Fetched(200, self.document(), None, None)

    async def close(self) -> None:
        return None


async def polling(engine: sa.Engine, settings: Settings, run: str) -> int:
    """Three polls of one feed of alpha's: new, the same, two changed; the items stored."""
    feed = Feed(run)
    with writing(engine) as conn:
        source = add_source(conn, get_organization(conn, "alpha"), f"http://127.0.0.1:9/{run}.rss",
                            interval_seconds=300, language="en", allow=settings.allow_private_targets)
    poller, stored = Poller(engine, settings, fetcher=feed), 0
    for changed in (0, 0, 2):
        feed.changed = changed
        with writing(engine) as conn:
            poll_soon(conn, get_organization(conn, "alpha"), source.id)
        stored += sum(poll.stored for poll in await poller.run_once())
    return stored


def digest(engine: sa.Engine, settings: Settings) -> int:
    """Every member's digest of new unread alerts; the messages composed."""
    mailer = MemoryMailer()
    send_digests(engine, mailer, lambda member, org, alerts: digest_message(settings, member, org, alerts))
    return len(mailer.sent)


async def pushes(engine: sa.Engine, settings: Settings, upload: Callable[[int], Awaitable[None]]) -> int:
    """beta's push target (made once), ``upload(4)`` (alpha's photos, processed and delivered), then every push;
    the pushes recorded."""
    with writing(engine) as conn:
        beta = get_organization(conn, "beta")
        if not list_targets(conn, beta):
            create_target(conn, beta, {"endpoint_url": "http://127.0.0.1:9", "bucket": "beta-originals",
                                       "access_key": "bench", "secret_key": "bench-secret"},
                          allow=settings.allow_private_targets)
    await upload(4)
    worker, pushed = PushWorker(engine, settings, name="statement-plans-push"), 0
    # the worker's own attempts, the bucket's side left out: no S3 client, and the upload answered at once
    with patch.object(push_worker, "s3_client", lambda *args: None), \
            patch.object(push_worker, "put_original", lambda *args, **kwargs: None):
        while done := await worker.run_once():
            pushed += done
    return pushed
