"""The ingest pipeline: parse -> normalize and enrich -> store and route, in short transactions.

Preparing (language detection, sanitizing) happens before the write transaction opens, so
the database is held only for the inserts, and never for more than :data:`BATCH_SIZE` items:
on SQLite every other writer waits for the one write lock meanwhile. :func:`ingest_items`
stores many items per transaction (each in a savepoint, so one bad item costs only itself)
for bulk loads; :func:`ingest_document` refuses a whole file for one bad item.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from newsbridge.accounts.organizations import Organization
from newsbridge.config import Settings
from newsbridge.db.engine import writing
from newsbridge.exchange.deliveries import load_rules, route_first_versions, route_version
from newsbridge.exchange.routing import RoutingTable
from newsbridge.errors import InvalidInput, MalformedInput, NewsbridgeError, SchemaViolation, UnknownFormat
from newsbridge.formats import ninjs
from newsbridge.formats.detect import detect_format, item_from_ninjs_document, parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3
from newsbridge.ingest.prepare import prepare_item
from newsbridge.items.store import Prepared, Stored, store_first_versions, store_version
from newsbridge.ids import utcnow
from newsbridge.vocab.mediatopics import normalize_qcode, subject_qcode, topic_subject
from newsbridge.telemetry import ITEMS_INGESTED, ITEMS_REJECTED, ITEMS_UNCHANGED

log = logging.getLogger(__name__)
BATCH_SIZE = 500
JOINT_URI = "urn:newsbridge:project:"  # projects/publication.py names joint items so


@dataclass(frozen=True)
class Outcome:
    """What happened to one item of a bulk ingest: stored (or unchanged), or refused and why."""

    uri: str | None
    stored: Stored | None
    error: NewsbridgeError | None


def translate(exc: FormatError) -> NewsbridgeError:
    """A format-layer error as the hub's error, keeping its message and field."""
    cls = {"unknown": UnknownFormat, "malformed": MalformedInput, "schema": SchemaViolation}.get(exc.kind, InvalidInput)
    return cls(exc.message, field=exc.field)


def assign_uri(org: Organization, item: Item) -> Item:
    """Items from formats without identifiers (plain-text wires, NITF without doc-id) get a stable uri
    from their content, so ingesting the same file twice stores it once."""
    if item.uri:
        return item
    when = item.firstcreated.isoformat() if isinstance(item.firstcreated, date) else ""
    what = item.headline or ""
    if not when and not what:  # nothing to tell such items apart by but the rest of their content
        what = json.dumps(to_ninjs3(replace(item, version=None)), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{when}\n{what}".encode("utf-8")).hexdigest()[:24]
    return replace(item, uri=f"urn:newsbridge:{org.slug}:{digest}")


def with_subjects(item: Item, qcodes: Sequence[str]) -> Item:
    """The item with these Media Topics added to its subjects (known qcodes only; no duplicates)."""
    if not qcodes:
        return item
    subjects = list(item.subjects)
    for code in qcodes:
        qcode = normalize_qcode(code)
        if qcode is None:
            raise InvalidInput(f"{code!r} is not an IPTC Media Topic; use a qcode like medtop:20000045 (mass media)",
                               field="subject")
        if all(subject_qcode(s) != qcode for s in subjects):
            subjects.append(topic_subject(qcode))
    return replace(item, subjects=subjects)


def parse(data: bytes, *, zone: str | None = None, strict: bool = False) -> tuple[str, list[Item]]:
    """(format name, items) of a document in any supported format; ``zone`` is the source's time zone for
    times that name none, ``strict`` refuses what would be accepted with warnings."""
    try:
        return detect_format(data), parse_document(data, zone=zone, strict=strict)
    except FormatError as exc:
        raise translate(exc) from None


class Ingestor:
    """Runs the pipeline for one hub (its database and language settings)."""

    def __init__(self, engine: Engine, settings: Settings, on_stored: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.on_stored = on_stored  # told after a commit that stored something new (wakes the delivery worker)

    def _stored(self, created: bool) -> None:
        if created and self.on_stored is not None:
            self.on_stored()

    def prepare(self, org: Organization, item: Item) -> Prepared:
        return prepare_item(assign_uri(org, item), languages=self.settings.languages,
                            accuracy=self.settings.language_accuracy)

    def _prepare_own(self, org: Organization, item: Item) -> Prepared:
        """:meth:`prepare` for what an organization sends: a joint project's items (their uris are the
        hub's) change only through the project, approved by every co-producer, never by one of them."""
        if item.uri and item.uri.startswith(JOINT_URI):
            raise InvalidInput("this uri is a joint project's item: correct it in its project, where every "
                               "co-producer approves the change (POST /api/v1/projects/{id}/deliverables/{did}:publish)",
                               field="uri")
        return self.prepare(org, item)

    @staticmethod
    def _store_and_route(conn: Connection, org: Organization, prepared: Prepared,
                         table: RoutingTable | None = None) -> Stored:
        """Store a version and, when it is new, route it: one transaction, so never one without the other."""
        stored = store_version(conn, org.id, prepared)
        if stored.created:
            route_version(conn, org, stored.item_id, stored.version, prepared.item, table)
        return stored

    def _count(self, stored: Stored, fmt: str) -> Stored:
        (ITEMS_INGESTED.labels(fmt) if stored.created else ITEMS_UNCHANGED).inc()
        return stored

    def ingest_item(self, org: Organization, item: Item, fmt: str = "ninjs") -> Stored:
        """Store one item in its own transaction; raises the hub's error when it is refused."""
        try:
            prepared = self._prepare_own(org, item)
            with writing(self.engine) as conn:
                stored = self._store_and_route(conn, org, prepared)
        except NewsbridgeError as exc:
            ITEMS_REJECTED.labels(exc.code).inc()
            raise
        self._stored(stored.created)
        log.info("item stored", extra={"item_id": stored.item_id, "version": stored.version,
                                       "new_version": stored.created, "organization": org.slug})
        return self._count(stored, fmt)

    def ingest_ninjs(self, org: Organization, data: bytes, strict: bool = True) -> Stored:
        """Parse and store one ninjs 1.x/2.x/3.x document (the publish API: strict unless asked otherwise,
        so the caller learns of a mistake at once)."""
        try:
            item = item_from_ninjs_document(ninjs.decode_json(data), org.timezone, strict=strict)
        except FormatError as exc:
            error = translate(exc)
            ITEMS_REJECTED.labels(error.code).inc()
            raise error from None
        return self.ingest_item(org, item)

    def ingest_document(self, org: Organization, data: bytes, subjects: Sequence[str] = (),
                        strict: bool = False) -> list[Stored]:
        """Parse ``data`` and store its items; a file with one refused item is refused whole.

        ``subjects`` are Media Topic qcodes the publisher assigns to every item in the document
        (wires without subject fields, such as the plain-text ones, need them to be routed). Times without
        a zone are read in the organization's zone; ``strict`` refuses a file a reader would accept only
        with warnings.

        Every item is parsed, checked and prepared before anything is written, so a malformed or
        invalid item stores nothing. The items are then stored :data:`BATCH_SIZE` per transaction:
        one long transaction for a 25,000-item file held SQLite's only write lock for tens of
        seconds, and every other writer (a partner's publish, a sign-in) timed out behind it. A file
        of one batch is still stored whole or not at all; in a larger one, a version conflict met
        while storing leaves the batches before it stored, and the error says so (resending the
        corrected file is harmless: stored versions answer unchanged)."""
        try:
            fmt, items = parse(data, zone=org.timezone, strict=strict)
            items = [with_subjects(item, subjects) for item in items]
            prepared = [self._prepare_own(org, item) for item in items]
        except NewsbridgeError as exc:
            ITEMS_REJECTED.labels(exc.code).inc()
            raise
        stored: list[Stored] = []
        for start in range(0, len(prepared), BATCH_SIZE):
            try:
                batch = self._store_batch(org, prepared, start)
            except NewsbridgeError as exc:
                ITEMS_REJECTED.labels(exc.code).inc()
                raise
            self._stored(any(s.created for s in batch))
            stored += [self._count(s, fmt) for s in batch]
        return stored

    def _store_batch(self, org: Organization, document: Sequence[Prepared], start: int) -> list[Stored]:
        """Store and route the batch of ``document`` from ``start`` in one transaction, in order; the
        first refusal rolls the batch back and says which item of the document it was."""
        batch = document[start:start + BATCH_SIZE]
        with writing(self.engine) as conn:
            table = load_rules(conn, org, utcnow().date())
            fast = self._store_new(conn, org, batch, table)
            stored = []
            for index, prepared in enumerate(batch):
                try:
                    stored.append(fast[index] if index in fast else self._store_and_route(conn, org, prepared, table))
                except NewsbridgeError as exc:
                    raise _in_document(exc, start, index, len(document)) from None
            return stored

    @staticmethod
    def _store_new(conn: Connection, org: Organization, batch: Sequence[Prepared],
                   table: RoutingTable) -> dict[int, Stored]:
        """The bulk path for the batch's items new to the organization, by batch index; empty when a
        concurrent writer got to one of them first (then every item takes the careful path)."""
        try:
            with conn.begin_nested():
                fast = store_first_versions(conn, org.id, batch)
                route_first_versions(conn, org, [(s.item_id, s.version, batch[i].item) for i, s in fast.items()],
                                     table)
                return fast
        except IntegrityError:
            return {}

    def ingest_items(self, org: Organization, items: Iterable[Item], fmt: str = "ninjs",
                     batch_size: int = BATCH_SIZE) -> list[Outcome]:
        """Store many items, ``batch_size`` per transaction; each refused item is reported, not fatal."""
        outcomes: list[Outcome] = []
        batch: list[Item] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                outcomes += self._ingest_batch(org, batch, fmt)
                batch = []
        if batch:
            outcomes += self._ingest_batch(org, batch, fmt)
        return outcomes

    def _ingest_batch(self, org: Organization, batch: Sequence[Item], fmt: str) -> list[Outcome]:
        ready: list[tuple[int, Prepared]] = []
        outcomes: list[Outcome | None] = [None] * len(batch)
        for index, item in enumerate(batch):
            try:
                ready.append((index, self._prepare_own(org, item)))
            except NewsbridgeError as exc:
                outcomes[index] = self._refused(item.uri, exc)
        with writing(self.engine) as conn:
            table = load_rules(conn, org, utcnow().date())
            fast = self._store_new(conn, org, [p for _, p in ready], table)
            for position, (index, prepared) in enumerate(ready):
                if position in fast:
                    outcomes[index] = Outcome(prepared.item.uri, self._count(fast[position], fmt), None)
                    continue
                try:
                    with conn.begin_nested():
                        stored = self._store_and_route(conn, org, prepared, table)
                    outcomes[index] = Outcome(prepared.item.uri, self._count(stored, fmt), None)
                except NewsbridgeError as exc:
                    outcomes[index] = self._refused(prepared.item.uri, exc)
        self._stored(any(o is not None and o.stored is not None and o.stored.created for o in outcomes))
        return [o for o in outcomes if o is not None]

    def _refused(self, uri: str | None, exc: NewsbridgeError) -> Outcome:
        ITEMS_REJECTED.labels(exc.code).inc()
        return Outcome(uri, None, exc)


def _in_document(exc: NewsbridgeError, start: int, offset: int, total: int) -> NewsbridgeError:
    """The refusal of one item of a document, saying which item and what was stored before it."""
    if total == 1:
        return exc
    index = start + offset
    exc.field = f"[{index}]{'.' + exc.field if exc.field else ''}"
    exc.message = f"item {index}: {exc.message}" + (
        f"; items 0 to {start - 1} were stored before it, nothing after (resending the corrected file is "
        f"harmless: what is stored answers unchanged)" if start else "; nothing was stored")
    exc.args = (exc.message,)
    return exc
