"""Restore a backup made by :mod:`newsbridge.ops.backup` into the hub's SQLite database and media store.

The hub must be stopped. The database file is replaced in one rename (after its checksum and
SQLite's integrity check pass), stale WAL files of the old database are removed first, blobs go
into the configured store (filesystem or S3) verified by SHA-256, and migrations then bring an
older backup up to this hub's schema. A database that already holds organizations is only
replaced with ``force``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from newsbridge.config import Settings
from newsbridge.db.engine import create_engine
from newsbridge.db.migrate import current_revision, upgrade
from newsbridge.ops.backup import DATABASE, Progress, RestoreRefused, file_sha256, read_manifest, sqlite_path


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    revision_in_backup: str | None
    revision_now: str | None
    counts: dict[str, int]
    blobs: int
    blob_bytes: int


def restore(settings: Settings, source: Path, *, force: bool = False, progress: Progress | None = None) -> RestoreReport:
    target = sqlite_path(settings)
    manifest = read_manifest(source)
    if target.exists() and not force and _holds_data(target):
        raise RestoreRefused(f"{target} already holds organizations; stop the hub and pass --force to replace it",
                             field="database")
    blobs, size = _restore_blobs(settings, source / "blobs", progress)
    _replace_database(source / DATABASE, target)
    engine = create_engine(settings.database_url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    return RestoreReport(target, manifest.get("revision"), revision, manifest.get("counts", {}), blobs, size)


def _holds_data(database: Path) -> bool:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return bool(conn.execute("SELECT count(*) FROM organizations").fetchone()[0] > 0)
    except sqlite3.DatabaseError:
        return False  # no schema yet, or not a database at all: nothing to lose
    finally:
        conn.close()


def _replace_database(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.restore-", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        shutil.copyfile(copy, temp)
        with closing(sqlite3.connect(temp)) as check:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise RestoreRefused(f"the backup's database fails SQLite's integrity check: {verdict}", field="source")
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        # The old database's write-ahead log would be replayed into the new file: remove it first.
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _restore_blobs(settings: Settings, blobs: Path, progress: Progress | None) -> tuple[int, int]:
    if not blobs.is_dir():
        return 0, 0
    from newsbridge.media.blobs import blob_store

    store = blob_store(settings)
    files = sorted(path for path in blobs.glob("*/*") if path.is_file())
    total = sum(path.stat().st_size for path in files)
    done = 0
    for path in files:
        if file_sha256(path) != path.name:
            raise RestoreRefused(f"blob {path.name} in the backup does not match its name", field="source")
        if not store.exists(path.name):
            store.put_file(path)
        done += path.stat().st_size
        if progress:
            progress(done, total)
    return len(files), total
