"""Signed media URLs in the changes feed: a page of items that carry media against a page of items that do not.

Builds a fresh SQLite hub where ``alpha`` shares with ``beta`` under a term with media rules
(``proxy_only`` for beta), then publishes ``-n`` text items and ``-n`` picture items of the same
text, each picture carrying its own media with three renditions (original, preview, thumbnail);
every delivery is sequenced as the worker does. It then reads beta's changes feed page by page,
exactly as ``GET /api/v1/feed`` does (``changes`` + ``with_entry_media`` + ``page_bytes``, one
read transaction per page), over the text positions (the baseline: the feed's fast path, each
stored document passed through as text) and over the media positions (each page decodes its
documents, reads the renditions, the media rules of the agreement and signs two hrefs per item).
The best of ``--rounds`` rounds counts. It prints pages/s of each, the ratio, and the cost of the
media per entry. Target: media pages at least half the rate of text pages (``--check`` exits 1
on a miss).

    .venv/bin/python bench/media_links.py [-n 2000] [--limit 50] [--rounds 5] [--check]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.delivery.feeds import changes, page_bytes, with_entry_media
from newsbridge.delivery.outbox import sequence
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.formats.ninjs import parse_ninjs
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.media.blobs import Blob
from newsbridge.media.links import MEDIA_URN
from newsbridge.media.records import add_rendition, create_media, link_item, set_media_status

TARGET_RATIO = 0.5
PARAGRAPH = ("The river rose two metres overnight and rescuers moved three hundred families to schools on "
             "higher ground, the emergencies ministry said on Tuesday. ")


def _blob() -> Blob:
    return Blob(secrets.token_hex(32), 250_000)


def build(db: Path, count: int) -> tuple[Settings, int]:
    """The hub, with ``count`` text items (positions 1..count) then ``count`` pictures; returns the settings."""
    settings = load_settings(env={}, database_url=f"sqlite:///{db}", media_url_secret="bench-secret")
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        beta = create_organization(conn, "beta", "Beta TV")
        agreement = create_agreement(conn, alpha, "bench", {
            "title": "Alpha for Beta", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "media": {"partners": {"beta": {"proxy_only": True}}}}]})
        for org, action in ((alpha, Action.PROPOSE), (alpha, Action.SIGN), (beta, Action.SIGN)):
            act(conn, agreement.id, action, org, "bench")
    texts, pictures = [], []
    with writing(engine) as conn:
        for n in range(count):
            found = create_media(conn, alpha.id, _blob(), "image/jpeg", "picture", f"flood-{n}.jpg")
            set_media_status(conn, found.id, "probed", width=4000, height=3000)
            add_rendition(conn, found.id, "preview", _blob(), "image/jpeg", width=1280, height=960)
            add_rendition(conn, found.id, "thumbnail", _blob(), "image/jpeg", width=320, height=240)
            set_media_status(conn, found.id, "ready")
            link_item(conn, alpha.id, f"urn:bench:picture:{n}", [found.id])
            pictures.append((n, found.id))
    for n in range(count):
        doc = {"uri": f"urn:bench:text:{n}", "version": "1", "type": "text", "language": "en",
               "headlines": [{"role": "main", "value": f"Flood report {n}"}],
               "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH * 4}]}
        texts.append(parse_ninjs(json.dumps(doc).encode()))
    for n, media_id in pictures:
        doc = {"uri": f"urn:bench:picture:{n}", "version": "1", "type": "picture", "language": "en",
               "headlines": [{"role": "main", "value": f"Flood report {n}"}],
               "bodies": [{"role": "main", "contentType": "text/plain", "value": PARAGRAPH * 4}],
               "renditions": [{"name": "original", "href": MEDIA_URN + media_id}]}
        texts.append(parse_ninjs(json.dumps(doc).encode()))
    outcomes = Ingestor(engine, settings).ingest_items(alpha, texts)
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error][:1]
    sequenced = 0
    while True:
        with writing(engine) as conn:
            done = sequence(conn, utcnow())
        if not done:
            break
        sequenced += len(done)
    engine.dispose()
    assert sequenced == 2 * count, sequenced
    return settings, count


def pages_per_second(settings: Settings, start: int, end: int, limit: int) -> tuple[float, int, int]:
    """Read beta's feed from position ``start`` to ``end`` page by page; (pages/s, pages, hrefs seen)."""
    engine = create_engine(settings.database_url)
    with reading(engine) as conn:
        beta = get_organization(conn, "beta")
    after, pages, hrefs = start, 0, 0
    began = time.perf_counter()
    while after < end:
        with reading(engine) as conn:
            entries = with_entry_media(conn, engine, settings, beta, changes(conn, beta, after, min(limit, end - after)))
        body = page_bytes(entries, "c")
        hrefs += body.count(b"/media/")
        after = entries[-1].position
        pages += 1
    elapsed = time.perf_counter() - began
    engine.dispose()
    return pages / elapsed, pages, hrefs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="text items, and as many pictures")
    parser.add_argument("--limit", type=int, default=50, help="entries per page")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        settings, count = build(Path(work) / "hub.db", args.n)
        text, media = [], []
        for _ in range(args.rounds):
            text.append(pages_per_second(settings, 0, count, args.limit))
            media.append(pages_per_second(settings, count, 2 * count, args.limit))
    best_text, best_media = max(r[0] for r in text), max(r[0] for r in media)
    assert text[0][2] == 0 and media[0][2] == 2 * count, (text[0], media[0])  # beta: preview + thumbnail only
    ratio = best_media / best_text
    per_entry = (1 / best_media - 1 / best_text) / args.limit * 1e6
    print(f"text pages:  {best_text:8.1f} pages/s ({best_text * args.limit:8.0f} entries/s)")
    print(f"media pages: {best_media:8.1f} pages/s ({best_media * args.limit:8.0f} entries/s), "
          f"2 signed hrefs per entry")
    print(f"ratio media/text: {ratio:.2f} (target >= {TARGET_RATIO}); media costs {per_entry:.0f} µs per entry")
    met = ratio >= TARGET_RATIO
    print("target met" if met else "target MISSED")
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
