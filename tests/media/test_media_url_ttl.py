"""NEWSBRIDGE_MEDIA_URL_TTL: how long the signed media URLs an item carries stay valid. With an hour, an
href expires between one and two hours ahead (the expiry is rounded up to the hour, so a feed's links
stay the same within the hour), serves the bytes until then and answers 403 ``link_expired`` once the
clock passes it — on SQLite and PostgreSQL, with the filesystem and SeaweedFS blob stores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from newsbridge.config import Settings, load_settings
from newsbridge.media import links
from tests.conftest import active_agreement
from tests.media.pictures import picture
from tests.media.tus import upload

pytestmark = pytest.mark.anyio
HOUR = 3600
NOW = datetime(2026, 3, 1, 10, 20, 30, tzinfo=timezone.utc)  # not on the hour: the rounding shows


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(media_url_ttl=HOUR)


def test_the_lifetime_is_read_from_its_environment_variable() -> None:
    assert load_settings(env={"NEWSBRIDGE_MEDIA_URL_TTL": "3600"}).media_url_ttl == HOUR
    assert load_settings(env={}).media_url_ttl == 24 * HOUR  # the default


def local(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


async def test_a_media_url_lives_its_setting_rounded_up_to_the_hour(client, make_partner, monkeypatch) -> None:
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    await active_agreement(client, alpha, beta, {"topics": ["medtop:11000000"], "languages": ["en"],
                                                 "media": {"allow_gps": True}})
    monkeypatch.setattr(links, "utcnow", lambda: NOW)  # the clock that signs and checks media URLs
    upload_id, _ = await upload(client, alpha.headers, picture(), filetype="image/jpeg")
    published = await client.post("/api/v1/items", headers=alpha.headers, json={
        "uri": "urn:alpha:photo:ttl", "version": "1", "type": "picture", "language": "en",
        "subjects": [{"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}],
        "headlines": [{"role": "main", "value": "Parliament in session"}],
        "renditions": [{"name": "original", "upload": upload_id}]})
    assert published.status_code == 201, published.text
    read = await client.get(f"/api/v1/items/{published.json()['id']}", headers=beta.headers)
    href = read.json()["renditions"][0]["href"]
    expires = int(parse_qs(urlsplit(href).query)["exp"][0])
    assert NOW.timestamp() + HOUR <= expires < NOW.timestamp() + 2 * HOUR and expires % HOUR == 0
    assert (await client.get(local(href))).status_code == 200
    last_second = datetime.fromtimestamp(expires, timezone.utc) - timedelta(seconds=1)
    monkeypatch.setattr(links, "utcnow", lambda: last_second)
    assert (await client.get(local(href))).status_code == 200
    monkeypatch.setattr(links, "utcnow", lambda: datetime.fromtimestamp(expires, timezone.utc))
    answer = await client.get(local(href))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "link_expired"
