"""``newsbridge backup`` / ``restore`` on SQLite: a copy taken while the hub serves, restored into a fresh
database and media directory, and the hub goes on (feed cursors, endpoint secrets, sessions, media)."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from typer.testing import CliRunner

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization
from newsbridge.app import create_app
from newsbridge.cli import app as cli_app
from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import head_revision, upgrade
from newsbridge.db.tables import endpoints, items
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow
from newsbridge.ops.backup import BackupUnsupported, RestoreRefused, backup
from newsbridge.ops.restore import restore
from tests.conftest import Partner, active_agreement
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


def hub_settings(root: Path) -> Settings:
    return load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"))


def partner(engine: sa.Engine, slug: str) -> Partner:
    with writing(engine) as conn:
        org = create_organization(conn, slug, slug.title())
        _key, raw = create_api_key(conn, slug, ("publish", "read", "manage"))
    return Partner(org, raw)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def publish(http: httpx.AsyncClient, source: Partner, uri: str, **extra: object) -> None:
    sent = await http.post("/api/v1/items", headers=source.headers, json={
        "uri": uri, "type": "text", "language": "en", "headlines": [{"role": "main", "value": f"Headline {uri}"}],
        **extra})
    assert sent.status_code == 201, sent.text


async def test_a_restored_backup_carries_on_where_the_hub_was(tmp_path: Path) -> None:
    old = hub_settings(tmp_path / "old")
    engine = create_engine(old.database_url)
    upgrade(engine)
    kazinform, irna = partner(engine, "kazinform"), partner(engine, "irna")
    with writing(engine) as conn:
        add_member(conn, "irna", "editor@irna.example", "IRNA editor", "editor", PASSWORD)
    picture = png()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(old, engine, migrate=False)),
                                 base_url="http://hub.test") as http:
        await active_agreement(http, kazinform, irna, {"media": {"allow_gps": True}})  # no GPS-free copy yet
        upload_id, _ = await upload(http, kazinform.headers, picture, filename="flag.png", filetype="image/png")
        await publish(http, kazinform, "urn:kazinform:1", renditions=[{"name": "original", "upload": upload_id}])
        await publish(http, kazinform, "urn:kazinform:2")
        with writing(engine) as conn:
            sequence(conn, utcnow())  # what the worker does: the deliveries enter the feed
        first = (await http.get("/api/v1/feed?limit=1", headers=irna.headers)).json()
        endpoint = (await http.post("/api/v1/endpoints", headers=irna.headers,
                                    json={"url": "https://93.184.216.34/hooks/irna"})).json()
        signed_in = await http.post("/login", data={"email": "editor@irna.example", "password": PASSWORD})
        assert signed_in.status_code == 303
        session_cookies = dict(http.cookies)
        report = backup(old, tmp_path / "backup")
        await publish(http, kazinform, "urn:kazinform:after-backup")  # not in the backup
    engine.dispose()

    assert report.media == "copied" and report.blobs >= 1 and not report.missing
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["revision"] == head_revision(engine) and manifest["counts"]["organizations"] == 2
    new = hub_settings(tmp_path / "new")
    restored = restore(new, tmp_path / "backup")
    assert restored.revision_now == head_revision(engine) and restored.blobs == report.blobs

    engine = create_engine(new.database_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(new, engine, migrate=False)),
                                 base_url="http://hub.test", cookies=session_cookies) as http:
        assert (await http.get("/account")).status_code == 200  # the session goes on
        rest = (await http.get(f"/api/v1/feed?cursor={first['cursor']}", headers=irna.headers)).json()
        assert [e["item"]["uri"] for e in rest["items"]] == ["urn:kazinform:2"]  # the cursor goes on
        with engine.connect() as conn:
            item_id = conn.execute(sa.select(items.c.id).where(items.c.uri == "urn:kazinform:1")).scalar_one()
        item = (await http.get(f"/api/v1/items/{item_id}", headers=irna.headers)).json()
        href = next(r for r in item["renditions"] if r["name"] == "original")["href"]
        parts = urlsplit(href)
        served = await http.get(f"{parts.path}?{parts.query}")
        assert served.status_code == 200 and served.content == picture
    with engine.connect() as conn:
        secret = conn.execute(sa.select(endpoints.c.secret).where(endpoints.c.id == endpoint["id"])).scalar_one()
    assert secret == endpoint["secret"]
    engine.dispose()


def test_a_backup_taken_while_the_hub_writes_is_one_consistent_moment(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path / "live")
    engine = create_engine(settings.database_url)
    upgrade(engine)
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            with writing(engine) as conn:
                create_organization(conn, f"org-{n}", f"Org {n}")
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        report = backup(settings, tmp_path / "backup", media=False)
    finally:
        stop.set()
        writer.join()
    copy = sa.create_engine(f"sqlite:///{tmp_path / 'backup' / 'newsbridge.db'}")
    with copy.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        assert conn.exec_driver_sql("SELECT count(*) FROM organizations").scalar_one() == report.counts["organizations"]
    copy.dispose()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM organizations").scalar_one() >= report.counts["organizations"]
    engine.dispose()


def test_restore_refuses_to_overwrite_a_hub_and_damaged_backups(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path / "hub")
    engine = create_engine(settings.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "kazinform", "Kazinform")
    backup(settings, tmp_path / "backup")
    with pytest.raises(RestoreRefused, match="--force"):
        restore(settings, tmp_path / "backup")
    with pytest.raises(Exception, match="not empty"):
        backup(settings, tmp_path / "backup")
    engine.dispose()

    damaged = tmp_path / "backup" / "newsbridge.db"
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(RestoreRefused, match="checksum"):
        restore(hub_settings(tmp_path / "fresh"), tmp_path / "backup")
    assert not (tmp_path / "fresh" / "hub.db").exists()  # nothing half-written


def test_backup_of_postgresql_points_at_pg_dump(tmp_path: Path) -> None:
    settings = load_settings(env={}, database_url="postgresql+psycopg://127.0.0.1/newsbridge")
    with pytest.raises(BackupUnsupported, match="pg_dump"):
        backup(settings, tmp_path / "backup")
    answer = CliRunner().invoke(cli_app, ["--database-url", settings.database_url, "backup", str(tmp_path / "b")])
    assert answer.exit_code == 1 and "backup_unsupported" in answer.output


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    source = hub_settings(tmp_path / "a")
    engine = create_engine(source.database_url)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "irna", "IRNA")
    engine.dispose()
    made = CliRunner().invoke(cli_app, ["--database-url", source.database_url, "backup", str(tmp_path / "b")])
    assert made.exit_code == 0, made.output
    assert "organizations 1" in made.output
    target = hub_settings(tmp_path / "c")
    back = CliRunner().invoke(cli_app, ["--database-url", target.database_url, "restore", str(tmp_path / "b")])
    assert back.exit_code == 0, back.output
    engine = create_engine(target.database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT slug FROM organizations").scalars().all() == ["irna"]
    engine.dispose()
