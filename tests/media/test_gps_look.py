"""``media.gps`` (migration 0056): what the hub found looking for GPS in an original. Existing media take what
their renditions tell (ready with a GPS-free copy: found; ready without: none; not processed: not looked), and
the rule offers an original without ``allow_gps`` only once looked and found clean. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from alembic import command

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import alembic_config, current_revision, head_revision, upgrade
from newsbridge.exchange.media_rules import Limits, Offer
from newsbridge.media.blobs import Blob
from newsbridge.media.links import offers_rendition
from newsbridge.media.records import add_rendition, create_media, get_media, set_media_gps, set_media_status


def blob(text: str) -> Blob:
    return Blob(hashlib.sha256(text.encode()).hexdigest(), len(text))


def test_the_migration_fills_the_look_from_the_renditions(engine, make_partner) -> None:
    owner = make_partner("alpha").org
    with writing(engine) as conn:
        made = {name: create_media(conn, owner.id, blob(name), "image/jpeg", "picture").id
                for name in ("copied", "clean", "waiting")}
        for name in ("copied", "clean"):
            set_media_status(conn, made[name], "ready")
        add_rendition(conn, made["copied"], "original-nogps", blob("copy"), "image/jpeg")
    command.downgrade(alembic_config(engine), "0055")
    try:
        upgrade(engine)
    finally:
        upgrade(engine)  # the session's database goes on at the head whatever happened
    assert current_revision(engine) == head_revision(engine)
    with reading(engine) as conn:
        assert {name: get_media(conn, media_id).gps for name, media_id in made.items()} == {
            "copied": "found", "clean": "none", "waiting": None}
    with writing(engine) as conn:
        with pytest.raises(ValueError):
            set_media_gps(conn, made["waiting"], "maybe")


@pytest.mark.parametrize("gps, kept, kind, offered", [
    (None, False, "picture", False), ("none", False, "picture", True), ("found", False, "video", False),
    ("found", True, "picture", False), ("none", False, "audio", True), (None, False, "graphic", True)])
def test_without_allow_gps_an_original_goes_once_looked_and_found_clean(gps: str | None, kept: bool, kind: str,
                                                                       offered: bool) -> None:
    strict, allowed = Offer(limits=Limits()), Offer(limits=Limits(allow_gps=True))
    assert offers_rendition(strict, "original", 640, 480, kind, gps, kept) is offered
    assert offers_rendition(allowed, "original", 640, 480, kind, gps, kept) is True  # the look does not matter
    assert offers_rendition(strict, "original-nogps", 640, 480, kind, gps, kept) is True


@pytest.mark.parametrize("kind, width, offered", [
    ("picture", None, False), ("video", None, False), ("picture", 800, True), ("audio", None, True)])
def test_a_maximum_resolution_offers_no_original_before_its_size_is_known(kind: str, width: int | None,
                                                                          offered: bool) -> None:
    """Looked at for GPS at publish, an original may be offered before its probe: under a maximum resolution a
    picture's or video's only once measured (an audio file has no size to judge)."""
    limits = Limits(max_resolution=1000, allow_gps=True)
    height = 600 if width else None
    assert offers_rendition(Offer(limits=limits), "original", width, height, kind, "none", False) is offered
    assert offers_rendition(Offer(limits=limits), "preview", None, None, kind, "none", False) is True
