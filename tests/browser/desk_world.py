"""A live hub with two partner organizations, their members and an active agreement, for desk tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.members import add_member
from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.app import create_app
from newsbridge.config import load_settings
from newsbridge.db.engine import create_engine, writing
from newsbridge.db.migrate import upgrade
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from tests.live_server import serving

PASSWORD = "correct horse battery"
AGREEMENT = {"title": "Kazinform–IRNA news exchange", "parties": ["kazinform", "irna"],
             "terms": [{"from": "kazinform", "languages": ["en", "ru", "kk", "fa"]},
                       {"from": "irna", "languages": ["en", "fa"]}],
             "roadmap": [{"title": "Exchange news daily", "owner": "irna", "status": "in_progress"}]}


@dataclass(frozen=True)
class World:
    url: str
    keys: dict[str, str]  # org slug -> API key (publish, read, manage)
    agreement_id: str


@contextmanager
def live_world(directory: Path) -> Iterator[World]:
    settings = load_settings(env={}, database_url=f"sqlite:///{directory / 'desk.db'}")
    engine = create_engine(settings.database_url)
    upgrade(engine)
    keys = {}
    with writing(engine) as conn:
        for slug, name, zone, langs in (("kazinform", "Kazinform", "Asia/Almaty", ["kk", "ru", "en"]),
                                        ("irna", "IRNA", "Asia/Tehran", ["fa", "en"]),
                                        ("stranger", "Stranger Daily", "UTC", ["en"])):
            create_organization(conn, slug, name, timezone=zone, languages=langs)
            keys[slug] = create_api_key(conn, slug, ("publish", "read", "manage"))[1]
            for role in ("admin", "editor", "viewer"):
                add_member(conn, slug, f"{role}@{slug}.example", f"{role.title()} of {name}", role, PASSWORD)
        kazinform = get_organization(conn, "kazinform")
        agreement = create_agreement(conn, kazinform, "test", AGREEMENT)
        act(conn, agreement.id, Action.PROPOSE, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, kazinform, "test")
        act(conn, agreement.id, Action.SIGN, get_organization(conn, "irna"), "test")
    try:
        with serving(create_app(settings, engine, migrate=False)) as url:
            yield World(url, keys, agreement.id)
    finally:
        engine.dispose()


def desk_page(browser, url: str, email: str, width: int = 1280, timeout: float = 20_000):  # type: ignore[no-untyped-def]
    """A new browser context signed in to the desk at ``url`` as ``email`` (password ``PASSWORD``):
    (context, page)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout)
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk")
    return context, page


def sign_video_exchange(conn, title: str) -> None:  # type: ignore[no-untyped-def]
    """Silk Way TV and IRNA (both created already) sign ``title``: Silk Way TV's English items go to IRNA
    with a credit line and broadcast terms (the media browser tests' agreement)."""
    silk = get_organization(conn, "silk-way-tv")
    agreement = create_agreement(conn, silk, "test", {
        "title": title, "parties": ["silk-way-tv", "irna"],
        "terms": [{"from": "silk-way-tv", "languages": ["en"], "credit_line": "{source} via Newsbridge",
                   "usage_terms": "Broadcast with the credit line; no resale."}]})
    act(conn, agreement.id, Action.PROPOSE, silk, "test")
    act(conn, agreement.id, Action.SIGN, silk, "test")
    act(conn, agreement.id, Action.SIGN, get_organization(conn, "irna"), "test")
