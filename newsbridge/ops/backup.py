"""Backup and restore of a hub on SQLite.

A backup is a directory: ``newsbridge.db`` (a copy taken with SQLite's online backup API in one
read transaction, so it is consistent while the hub keeps serving and writing), ``blobs/`` (the
media blobs that copy names, verified by SHA-256 on the way) and ``manifest.json`` (schema
revision, row counts, checksums). It is written under a temporary name and renamed when complete,
so a cut-off backup never looks finished. Media in S3 are *referenced* (the manifest lists them;
the bucket keeps its own copies), not copied.

PostgreSQL is backed up with ``pg_dump``/``pg_restore`` plus the blob store (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from newsbridge.config import Settings
from newsbridge.errors import InvalidInput, NotFound

FORMAT = 1
DATABASE = "newsbridge.db"
MANIFEST = "manifest.json"
CHUNK = 1 << 20
COUNTED = ("organizations", "members", "api_keys", "agreements", "items", "item_versions", "deliveries",
           "endpoints", "media", "renditions", "projects")
# The tables whose rows name blobs; a blob no row names is not part of the hub's state.
BLOB_QUERIES = ("SELECT sha256 FROM media", "SELECT sha256 FROM renditions")

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


class BackupUnsupported(InvalidInput):
    """The database is not a SQLite file: PostgreSQL has its own tools."""

    code = "backup_unsupported"


class RestoreRefused(InvalidInput):
    """Restoring would overwrite a hub that holds data, or the backup does not check out."""

    code = "restore_refused"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    revision: str | None
    counts: dict[str, int]
    media: str  # "copied", "referenced" (S3) or "skipped"
    blobs: int
    blob_bytes: int
    missing: list[str] = field(default_factory=list)  # blobs a row names that the store does not hold


def sqlite_path(settings: Settings, field_name: str = "NEWSBRIDGE_DATABASE_URL") -> Path:
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupUnsupported(
            "backup and restore handle a SQLite file; back up PostgreSQL with pg_dump and restore it with "
            "pg_restore, then copy the blob store (docs/operations.md, 'Backup and restore')", field=field_name)
    return Path(url.database)


def backup(settings: Settings, target: Path, *, media: bool = True, progress: Progress | None = None) -> BackupReport:
    """Copy the hub's database and media into the new directory ``target``."""
    source = sqlite_path(settings)
    if not source.exists():
        raise NotFound(f"there is no database at {source}", field="NEWSBRIDGE_DATABASE_URL")
    if target.exists() and any(target.iterdir()):
        raise InvalidInput(f"{target} exists and is not empty; name a new directory", field="target")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        _copy_database(source, partial / DATABASE)
        revision, counts, shas = _read_copy(partial / DATABASE)
        mode, copied, size, missing = "skipped", 0, 0, []
        if media:
            mode, copied, size, missing = _copy_blobs(settings, shas, partial / "blobs", progress)
        report = BackupReport(target, revision, counts, mode, copied, size, missing)
        _write_manifest(partial, report, sorted(shas))
        if target.exists():
            target.rmdir()
        os.rename(partial, target)
        return report
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _copy_database(source: Path, copy: Path) -> None:
    # One step (pages=-1) is one read transaction: under WAL, writers go on and the copy is a snapshot.
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(copy)) as dst:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst, pages=-1)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
        dst.execute("PRAGMA journal_mode=DELETE")
    if verdict != "ok":
        raise RestoreRefused(f"the copy of the database fails SQLite's integrity check: {verdict}", field="database")


def _read_copy(copy: Path) -> tuple[str | None, dict[str, int], set[str]]:
    with closing(sqlite3.connect(copy)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 (fixed names)
                  for name in COUNTED if name in tables}
        shas: set[str] = set()
        for query in BLOB_QUERIES:
            if query.split()[-1] in tables:
                shas.update(row[0] for row in conn.execute(query))
    return revision, counts, shas


def _copy_blobs(settings: Settings, shas: set[str], into: Path,
                progress: Progress | None) -> tuple[str, int, int, list[str]]:
    from newsbridge.media.blobs import FileBlobStore, blob_store  # the media layer is optional here

    store = blob_store(settings)
    if not isinstance(store, FileBlobStore):
        missing = sorted(sha for sha in shas if not store.exists(sha))
        return "referenced", 0, 0, missing
    present = {sha: store.path(sha) for sha in shas if store.path(sha).exists()}
    total = sum(path.stat().st_size for path in present.values())
    done = 0
    for sha, path in sorted(present.items()):
        done += _copy_verified(path, into / sha[:2] / sha, sha, lambda n: progress and progress(n, total), done)
    if progress:
        progress(total, total)
    return "copied", len(present), total, sorted(shas - present.keys())


def _copy_verified(source: Path, dest: Path, sha256: str, tick: Callable[[int], object], done: int) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
            tick(done + size)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256:
        raise RestoreRefused(f"blob {sha256} does not match its name: the media store is damaged", field="blobs")
    return size


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(directory: Path, report: BackupReport, shas: list[str]) -> None:
    from newsbridge import __version__

    manifest = {
        "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "hub_version": __version__,
        "revision": report.revision, "counts": report.counts,
        "database": {"file": DATABASE, "sha256": file_sha256(directory / DATABASE),
                     "size": (directory / DATABASE).stat().st_size},
        "media": {"mode": report.media, "blobs": report.blobs, "bytes": report.blob_bytes, "referenced": shas,
                  "missing": report.missing},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), "utf-8")


def read_manifest(source: Path) -> dict:  # type: ignore[type-arg]
    try:
        manifest = json.loads((source / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        raise NotFound(f"{source} holds no {MANIFEST}: it is not a Newsbridge backup", field="source") from None
    except ValueError:
        raise RestoreRefused(f"{source / MANIFEST} is not valid JSON", field="source") from None
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"backup format {manifest.get('format')!r} is not one this hub reads ({FORMAT})",
                             field="source")
    if file_sha256(source / DATABASE) != manifest["database"]["sha256"]:
        raise RestoreRefused("the backup's database does not match its manifest's checksum", field="source")
    return manifest  # type: ignore[no-any-return]
