"""Storing item versions: idempotent resends, ordered versions, withdrawals kept in history.

Rules (the partner-facing contract, see docs/api.md):

* same uri, same version, same content: nothing new is written; the stored version answers;
* same uri and version with other content, or a version lower than the newest with content
  that was never stored: 409 ``version_conflict``;
* a higher version, or no version and new content: a new version that supersedes;
* ``pubstatus: canceled`` is a version like any other: the item is withdrawn, its history kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from newsbridge.db.bulk import insert_dicts, insert_rows
from newsbridge.db.tables import item_versions, items, version_topics
from newsbridge.errors import VersionConflict
from newsbridge.ids import new_id, utcnow
from newsbridge.formats.item import Item
from newsbridge.items.hashing import same_content, unversioned_document, versioned_document
from newsbridge.search.stemming import index_text
from newsbridge.vocab.mediatopics import item_topics


_NEW = -1  # latest_version of an item row claimed in this transaction, before its first version


@dataclass(frozen=True)
class Prepared:
    """An item ready to store: normalized, with how its language was found and its content hash."""

    item: Item
    language_source: str  # declared | detected | unknown
    language_confidence: float | None
    content_hash: str
    # the item's ninjs 3.x document without version, when the hash was taken from it (items/hashing.py)
    unversioned: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def content(self) -> dict[str, Any]:
        """The unversioned ninjs 3.x document the content hash covers."""
        return self.unversioned if self.unversioned is not None else unversioned_document(self.item)

    def document(self, version: int) -> dict[str, Any]:
        """The stored ninjs 3.x document for this content under hub version ``version``."""
        return versioned_document(self.content(), str(version))


@dataclass(frozen=True)
class Stored:
    item_id: str
    version: int
    created: bool  # False when an identical version was already stored


def _as_datetime(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0, 0), tzinfo=timezone.utc)  # a day sorts at its start


def _claim_item(conn: Connection, organization_id: str, uri: str, now: datetime) -> tuple[str, int | None]:
    """The item's id and newest version (None for a new item), locking it for this transaction."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(items).values(
        id=new_id(), organization_id=organization_id, uri=uri, latest_version=_NEW, pubstatus="usable",
        created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["organization_id", "uri"]))
    query = sa.select(items.c.id, items.c.latest_version).where(
        items.c.organization_id == organization_id, items.c.uri == uri)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one()
    return row.id, (None if row.latest_version == _NEW else row.latest_version)


def _version_row(item_id: str, version: int, prepared: Prepared, now: datetime,
                 stem_parts: set[str] | None = None) -> dict[str, Any]:
    """The item_versions row of ``prepared``; ``stem_parts`` receives the pieces its search stems are
    made of (:func:`~newsbridge.search.stemming.index_text`)."""
    item = prepared.item
    return {
        "item_id": item_id, "version": version, "content_hash": prepared.content_hash, "type": item.type,
        "pubstatus": item.pubstatus, "language": item.language, "language_source": prepared.language_source,
        "language_confidence": prepared.language_confidence, "headline": item.headline, "body_text": item.body_text,
        "body_html": item.body_html, "firstcreated": _as_datetime(item.firstcreated) or now,
        "versioncreated": item.versioncreated or now, "embargoed": item.embargoed,
        "document": prepared.document(version), "received_at": now,
        "ingest_warnings": [w.as_dict() for w in item.warnings] or None,
        "search_stems": index_text(item.language, item.headline, item.body_text, parts=stem_parts),
    }


TOPIC_COLUMNS = ("item_id", "version", "qcode")


def _topic_rows(version_rows: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """The Media Topics of each version, with their broader topics, for the desk's topic filter:
    (item_id, version, qcode) rows."""
    return [(row["item_id"], row["version"], qcode)
            for row in version_rows for qcode in sorted(item_topics(row["document"].get("subjects", [])))]


# SQLite's search index (migration 0026) is kept by this trigger. SQLite 3.40's FTS5 writes its
# pending terms out as a new segment at every statement savepoint, and a row trigger on
# item_versions opens one per row: through the trigger, a bulk insert wrote one tiny segment per
# version and merged them again, ~90 µs a version against ~30 µs for the same terms added by one
# statement (bench/ingest.py; docs/benchmarks.md, issue 17). The bulk path therefore takes the
# trigger out for its own insert and indexes its rows in one statement, inside the same
# transaction: no other connection ever sees the trigger missing, and a rollback restores it.
SEARCH_TRIGGER = "item_versions_search_insert"
SEARCH_TRIGGER_SQL = (
    "CREATE TRIGGER item_versions_search_insert AFTER INSERT ON item_versions BEGIN "
    "INSERT INTO item_versions_search(rowid, search_stems) VALUES (new.id, new.search_stems); END")
_SEARCH_INDEX_ROWS = ("INSERT INTO item_versions_search(rowid, search_stems) "
                      "SELECT id, search_stems FROM item_versions WHERE id > ?")
# The list of the index's words (migration 0052) is kept the same way, by a trigger that adds each
# version's words one by one (~40-80 µs a version in a bulk load): the bulk path adds the batch's
# words once each, read as the trigger reads them (:func:`_search_terms`).
TERMS_TRIGGER = "item_versions_search_terms_insert"
_TERMS_ARRAY = ("'[\"' || replace(replace(replace(replace(replace(new.search_stems, '\\', ' '), '\"', ' '), "
                "char(9), ' '), char(10), ' '), ' ', '\",\"') || '\"]'")
TERMS_TRIGGER_SQL = (
    "CREATE TRIGGER item_versions_search_terms_insert AFTER INSERT ON item_versions WHEN new.search_stems IS NOT "
    "NULL BEGIN INSERT OR IGNORE INTO item_versions_search_terms(term) SELECT DISTINCT value FROM json_each("
    f"CASE WHEN json_valid({_TERMS_ARRAY}) THEN {_TERMS_ARRAY} ELSE '[]' END) WHERE value <> ''; END")
_TERMS_ROWS = "INSERT OR IGNORE INTO item_versions_search_terms(term) VALUES (?)"
_NOT_IN_JSON_TEXT = re.compile(r"[\x00-\x1f]")
BULK_INDEX_MIN = 20  # fewer rows: dropping and creating the triggers costs more than it saves


def _search_terms(version_rows: list[dict[str, Any]]) -> list[tuple[str]]:
    """The words :data:`TERMS_TRIGGER` would add for ``version_rows``, each once: their stems with
    backslashes, quotes, tabs and line ends made spaces, split at spaces; none of a row whose
    stems still hold a control character (the trigger's ``json_valid`` refuses its array)."""
    words: set[str] = set()
    for row in version_rows:
        if (stems := row["search_stems"]) is None:
            continue
        spaced = stems.replace("\\", " ").replace('"', " ").replace("\t", " ").replace("\n", " ")
        # printable text holds no control character; the search reads ~800 characters in ~8 µs
        if spaced.isprintable() or _NOT_IN_JSON_TEXT.search(spaced) is None:
            words.update(spaced.split(" "))
    words.discard("")
    return [(word,) for word in sorted(words)]


def _batch_terms(version_rows: list[dict[str, Any]], stem_parts: set[str] | None) -> list[tuple[str]]:
    """:func:`_search_terms` of ``version_rows``, whose stems are made of ``stem_parts`` (pieces joined
    by spaces and line ends, see :func:`_version_row`): when no piece holds a character the trigger
    reads otherwise (quotes, backslashes, tabs, line ends, control characters), the words are those
    of the pieces, split at spaces: a batch's few thousand distinct pieces instead of its ~130 words
    a row (~9 -> ~2 µs a row in bench/ingest.py)."""
    if stem_parts is not None:
        joined = " ".join(stem_parts)
        if joined.isprintable() and '"' not in joined and "\\" not in joined:
            words = set(joined.split(" "))
            words.discard("")
            return [(word,) for word in sorted(words)]
    return _search_terms(version_rows)


def _insert_versions(conn: Connection, version_rows: list[dict[str, Any]],
                     stem_parts: set[str] | None = None) -> None:
    """Insert ``version_rows``; on SQLite, many of them are indexed for search (:data:`SEARCH_TRIGGER`,
    :data:`TERMS_TRIGGER`) in one statement each, for each trigger that is the one this code knows;
    a trigger a later migration changed indexes them itself."""
    if conn.dialect.name != "sqlite" or len(version_rows) < BULK_INDEX_MIN:
        insert_dicts(conn, item_versions, version_rows)
        return
    known = {SEARCH_TRIGGER: SEARCH_TRIGGER_SQL, TERMS_TRIGGER: TERMS_TRIGGER_SQL}
    found = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)",
                                 tuple(known)).all()
    replayed = [name for name, sql in found if known[name] == sql]
    if not replayed:
        insert_dicts(conn, item_versions, version_rows)
        return
    # The write lock is held: every row inserted below gets an id above the highest one now.
    last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(item_versions.c.id), 0))).scalar_one()
    for name in replayed:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    insert_dicts(conn, item_versions, version_rows)
    if SEARCH_TRIGGER in replayed:
        conn.exec_driver_sql(_SEARCH_INDEX_ROWS, (last,))
    if TERMS_TRIGGER in replayed and (terms := _batch_terms(version_rows, stem_parts)):
        conn.exec_driver_sql(_TERMS_ROWS, terms)
    for name in replayed:
        conn.exec_driver_sql(known[name])


def store_first_versions(conn: Connection, organization_id: str, batch: Sequence[Prepared]) -> dict[int, Stored]:
    """Bulk path: store at once every item of ``batch`` whose uri is new to the organization and
    appears once in the batch; returns them by batch index. The rest need :func:`store_version`.

    Two multi-row inserts instead of several statements per item: what makes bulk loads fast.
    """
    uris = [p.item.uri or "" for p in batch]
    seen = Counter(uris)
    existing = set(conn.execute(sa.select(items.c.uri).where(
        items.c.organization_id == organization_id, items.c.uri.in_(set(uris)))).scalars())
    now = utcnow()
    stored: dict[int, Stored] = {}
    item_rows, version_rows = [], []
    stem_parts: set[str] = set()
    for index, prepared in enumerate(batch):
        item = prepared.item
        if seen[uris[index]] > 1 or uris[index] in existing:
            continue
        item_id, version = new_id(), int(item.version) if item.version is not None else 1
        item_rows.append({"id": item_id, "organization_id": organization_id, "uri": uris[index],
                          "latest_version": version, "pubstatus": item.pubstatus, "headline": item.headline,
                          "language": item.language, "created_at": now, "updated_at": now})
        version_rows.append(_version_row(item_id, version, prepared, now, stem_parts))
        stored[index] = Stored(item_id, version, created=True)
    if item_rows:
        insert_dicts(conn, items, item_rows)
        _insert_versions(conn, version_rows, stem_parts)
        insert_rows(conn, version_topics, TOPIC_COLUMNS, _topic_rows(version_rows))
    return stored


def store_version(conn: Connection, organization_id: str, prepared: Prepared) -> Stored:
    """Store one prepared item version for its source organization, inside ``conn``'s transaction."""
    item = prepared.item
    now = utcnow()
    item_id, latest = _claim_item(conn, organization_id, item.uri or "", now)
    asked = int(item.version) if item.version is not None else None
    if latest is not None:
        same = conn.execute(sa.select(item_versions.c.version, item_versions.c.content_hash).where(
            item_versions.c.item_id == item_id, item_versions.c.version == (asked if asked is not None else latest),
        )).first()
        # versions stored before the current hash format hold the older one: same_content knows both
        if same is not None and same_content(same.content_hash, prepared.content_hash, prepared.content()):
            return Stored(item_id, same.version, created=False)
        if asked is not None and asked <= latest:
            raise VersionConflict(
                f"version {asked} of {item.uri} is not newer than the stored version {latest}"
                f"{' and has other content' if asked == latest else ''}; send version {latest + 1} or higher",
                field="version")
    version = asked if asked is not None else (1 if latest is None else latest + 1)
    row = _version_row(item_id, version, prepared, now)
    conn.execute(item_versions.insert().values(**row))
    if topic_rows := _topic_rows([row]):
        conn.execute(version_topics.insert(), [dict(zip(TOPIC_COLUMNS, topic)) for topic in topic_rows])
    conn.execute(items.update().where(items.c.id == item_id).values(
        latest_version=version, pubstatus=item.pubstatus, headline=item.headline, language=item.language,
        updated_at=now,
    ))
    return Stored(item_id, version, created=True)
