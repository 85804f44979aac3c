"""Shared fixtures: every storage test runs on real SQLite and on real PostgreSQL.

PostgreSQL tests create a database of their own on the local server
(``NEWSBRIDGE_TEST_POSTGRES_URL``, default the trust-auth server on 127.0.0.1:5432) and
drop it at the end. Between tests every table is emptied, so each test starts clean.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

# The CLI's tables are as wide as a terminal: give every test process the same wide one (pytest-xdist's
# workers have no terminal, and Rich would wrap at 80 columns there)
os.environ.setdefault("COLUMNS", "200")

from newsbridge.accounts.api_keys import create_api_key  # noqa: E402
from newsbridge.accounts.organizations import Organization, create_organization  # noqa: E402
from newsbridge.app import create_app  # noqa: E402
from newsbridge.config import Settings, load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from tests.databases import empty_tables, postgres_database  # noqa: E402
from tests.remembered_embeddings import remember_embeddings  # noqa: E402
from tests.shared_routes import share_built_routes  # noqa: E402

share_built_routes()  # FastAPI builds each route once in the test process, not once per test's app
remember_embeddings()  # the real e5 model computes each text once in the test process, not once per test

# Passwords: the hub hashes them with argon2's defaults (64 MiB, 3 passes, ~0.1 s each); the tests sign
# thousands of members in and out, so in this process they hash with the cheapest argon2 (a real argon2id
# hash all the same: verification reads the parameters from the hash). tests/accounts/test_password_hashing.py
# checks that the hub itself keeps the strong defaults.
import newsbridge.accounts.members as _members  # noqa: E402
import newsbridge.accounts.operators as _operators  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

# (kept on the module: `from tests.conftest import ...` runs this file a second time, after the swap)
PRODUCTION_HASHERS = _members.__dict__.setdefault("_production_hashers", (_members._hasher, _operators._hasher))
_members._hasher = _operators._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
POSTGRES_URL = os.environ.get("NEWSBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


class Databases:
    """The test process's two databases, each made and migrated on first use and kept until the session ends.

    ``database_url`` is a parametrized session fixture, and pytest tears such a fixture down whenever the next
    test wants the other parameter. Under xdist's ``--dist loadfile`` that is twice a file (a file's SQLite
    tests, then its PostgreSQL ones, then the next file's SQLite ones): every file made, migrated and dropped a
    PostgreSQL database and migrated a SQLite one afresh, ~1 s a file (~290 files). Kept here, a switch is a
    dictionary lookup; the tables are emptied between tests as before (``engine``)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._stack = ExitStack()
        self._engines: dict[str, Engine] = {}

    def engine(self, kind: str) -> Engine:
        if kind not in self._engines:
            if kind == "sqlite":
                url = f"sqlite:///{self._tmp.mktemp('sqlite') / 'hub.db'}"
            else:
                url = self._stack.enter_context(postgres_database(POSTGRES_URL))
            engine = create_engine(url)
            self._stack.callback(engine.dispose)  # disposed before its database is dropped (callbacks run last first)
            upgrade(engine)
            self._engines[kind] = engine
        return self._engines[kind]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory)
    yield made
    made.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    return databases.engine(request.param).url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_engine(database_url: str, databases: Databases) -> Engine:
    return databases.engine("sqlite" if database_url.startswith("sqlite") else "postgresql")


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    yield migrated_engine
    with writing(migrated_engine) as conn:
        empty_tables(conn)


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False),
                         media_dir=str(tmp_path / "media"))  # media tests choose their store (tests/media)


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, engine, migrate=False)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@dataclass(frozen=True)
class Partner:
    org: Organization
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def make_partner(engine: Engine):  # type: ignore[no-untyped-def]
    """Create an organization with an API key: ``make_partner("kazinform", scopes=("read",))``."""

    def make(slug: str | None = None, scopes: tuple[str, ...] = ("publish", "read"), **org: object) -> Partner:
        slug = slug or f"org-{secrets.token_hex(4)}"
        with writing(engine) as conn:
            created = create_organization(conn, slug, org.pop("name", slug.title()), **org)  # type: ignore[arg-type]
            _key, raw = create_api_key(conn, slug, scopes)
        return Partner(created, raw)

    return make


def count_rows(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()



async def active_agreement(http: httpx.AsyncClient, source: Partner, recipient: Partner, terms: dict[str, Any],
                           title: str = "Alpha-Beta") -> dict[str, Any]:
    """Create, propose and sign (both parties) an agreement over HTTP; ``terms`` is the source's term."""
    created = await http.post("/api/v1/agreements", headers=source.headers, json={
        "title": title, "parties": [source.org.slug, recipient.org.slug],
        "terms": [{"from": source.org.slug, **terms}]})
    assert created.status_code == 201, created.text
    for partner, action in ((source, "propose"), (source, "sign"), (recipient, "sign")):
        done = await http.post(f"/api/v1/agreements/{created.json()['id']}:{action}", headers=partner.headers)
        assert done.status_code == 200, done.text
    return created.json()


# The longest files first. `make test` hands whole files to its processes in collection order (--dist loadfile),
# and a long file handed out last is the suite's tail: the crash rounds (~2 minutes a database) came near the end,
# with one process idle beside them. Within a file and among the rest the order stays as collected.
LONGEST_FIRST = ("tests/delivery/test_crash.py", "tests/media/test_upload_faults.py",
                 "tests/api/test_openapi_conformance.py", "tests/reliability/", "tests/test_demo.py",
                 "tests/stories/test_demo_story.py", "tests/test_cli.py", "tests/ops/test_keepalive.py",
                 "tests/metrics/test_rollups.py", "tests/browser/")


def _longest_first(item: pytest.Item) -> int:
    return next((rank for rank, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)),
                len(LONGEST_FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_longest_first)  # stable
