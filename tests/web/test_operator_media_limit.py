"""An organization's media file size limit set by the hub operator (accounts/media_limit.py), on both databases:
the console's form and ``newsbridge org media-limit`` set it, clear it back to the hub's, refuse what is not a
size, write it on both audit logs; members and strangers cannot reach the form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from newsbridge.accounts.media_limit import describe_size, exact_size, media_limit, parse_size
from newsbridge.accounts.organizations import get_organization
from newsbridge.cli import app as cli_app
from newsbridge.db.audit_tables import audit_log
from newsbridge.db.engine import reading
from newsbridge.errors import InvalidInput
from tests.web.test_operator_console import _create, console, mail_app, smtp  # noqa: F401 (fixtures)

pytestmark = pytest.mark.anyio
GIB = 1024 ** 3


def _limit(engine) -> int | None:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return get_organization(conn, "alpha").max_media_bytes


async def test_the_operator_sets_an_organizations_limit_and_gives_it_back_the_hubs(console, engine) -> None:
    await _create(console)
    page = await console.http.get("/operator/organizations/alpha")
    assert "20 GiB" in page.text and "NEWSBRIDGE_MAX_MEDIA_BYTES" in page.text
    done = await console.post("/operator/organizations/alpha/media-limit", {"max_media_bytes": "50 GiB"})
    assert done.status_code == 200 and "limit saved" in done.text and "50 GiB" in done.text
    assert 'value="50 GiB"' in done.text  # the form shows it as saved
    assert '<bdi dir="ltr">50 GiB</bdi>' in done.text  # a size stays left to right in a Persian sentence
    assert '<bdi dir="ltr">20 GiB</bdi>' in done.text  # the hub's, beside
    assert _limit(engine) == 50 * GIB
    refused = await console.post("/operator/organizations/alpha/media-limit", {"max_media_bytes": "lots"})
    assert refused.status_code == 422 and "is not a size" in refused.text
    assert _limit(engine) == 50 * GIB  # unchanged
    cleared = await console.post("/operator/organizations/alpha/media-limit", {"max_media_bytes": ""})
    assert cleared.status_code == 200 and _limit(engine) is None
    with reading(engine) as conn:
        logged = conn.execute(sa.select(audit_log.c.action, audit_log.c.organization_id.is_(None), audit_log.c.detail)
                              .where(audit_log.c.action.like("%media_limit_set")).order_by(audit_log.c.id)).all()
    assert [(action, hub) for action, hub, _ in logged] == [
        ("operator.media_limit_set", True), ("organization.media_limit_set", False),
        ("operator.media_limit_set", True), ("organization.media_limit_set", False)]
    assert logged[0][2] == {"before": None, "after": 50 * GIB} and logged[2][2] == {"before": 50 * GIB, "after": None}


async def test_nobody_but_the_operator_reaches_the_form(console, sign_in, make_partner, engine) -> None:
    make_partner("alpha")
    admin = await sign_in("alpha", "admin")
    assert (await admin.post("/operator/organizations/alpha/media-limit",
                             {"max_media_bytes": "1 TiB"})).status_code == 404
    assert (await console.post("/operator/organizations/nobody/media-limit",
                               {"max_media_bytes": "1 GiB"})).status_code == 404
    assert _limit(engine) is None


def test_the_cli_shows_sets_and_clears_the_limit(engine, make_partner) -> None:
    make_partner("alpha")
    url = engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke
    shown = run(cli_app, ["--database-url", url, "org", "media-limit", "alpha"])
    assert shown.exit_code == 0 and "20 GiB (the hub's)" in shown.output
    assert run(cli_app, ["--database-url", url, "org", "media-limit", "alpha", "500MB"]).exit_code == 0
    assert _limit(engine) == 500 * 1000 ** 2
    bad = run(cli_app, ["--database-url", url, "org", "media-limit", "alpha", "12xx"])
    assert bad.exit_code != 0 and "is not a size" in bad.output
    assert run(cli_app, ["--database-url", url, "org", "media-limit", "alpha", "default"]).exit_code == 0
    assert _limit(engine) is None


def test_sizes_are_read_and_written_as_people_write_them() -> None:
    assert parse_size("5 GiB") == 5 * GIB and parse_size("500MB") == 500 * 1000 ** 2
    assert parse_size("1,5 tib") == int(1.5 * 1024 ** 4) and parse_size("2000000000") == 2_000_000_000
    assert parse_size("") is None and parse_size(" default ") is None
    for bad in ("lots", "5 parsecs", "-1 GB", "100 B", "99 TiB"):
        with pytest.raises(InvalidInput) as refused:
            parse_size(bad)
        assert refused.value.field == "max_media_bytes"
    assert describe_size(20 * GIB) == "20 GiB" and describe_size(1536 * 1024 ** 2) == "1.5 GiB"
    assert describe_size(500 * 1000 ** 2) == "477 MiB" and describe_size(2048) == "2 KiB"
    for size in (5 * GIB, 500 * 1000 ** 2, 2_000_000_001, int(1.5 * 1024 ** 4)):
        assert parse_size(exact_size(size)) == size  # what the form shows saves back unchanged
    assert exact_size(500 * 1000 ** 2) == "500 MB" and exact_size(3 * GIB) == "3 GiB"


def test_an_organization_without_its_own_limit_has_the_hubs(make_partner) -> None:
    alpha = make_partner("alpha")
    assert media_limit(alpha.org, 7 * GIB) == 7 * GIB
