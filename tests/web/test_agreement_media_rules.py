"""An amendment made with the desk's terms form keeps each sharer's media rules (they have a form of
their own: tests/web/test_agreement_media_form.py), like it keeps the kinds of items and the outlets."""

from __future__ import annotations

import pytest

from newsbridge.db.engine import reading, writing
from newsbridge.exchange.agreements import create_agreement, load_agreement
from newsbridge.exchange.media_rules import Limits, MediaRules
from tests.web.test_agreement_pages import orgs, proposal  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


async def test_a_desk_amendment_keeps_the_media_rules(sign_in, orgs, engine) -> None:  # type: ignore[no-untyped-def]
    alpha, beta, _ = orgs
    with writing(engine) as conn:
        made = create_agreement(conn, alpha.org, "test", {
            "title": "Photo pool", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "media": {"types": ["picture"], "allow_gps": True,
                                                  "partners": {"beta": {"proxy_only": True}}}},
                      {"from": "beta", "media": {"max_resolution": 1080}}]})
    desk = await sign_in("alpha")
    amended = await desk.post(f"/agreements/{made.id}/amend", {**proposal(sign_now=None), "revision": "1"})
    assert amended.status_code == 303, amended.text
    with reading(engine) as conn:
        after = load_agreement(conn, made.id)
    assert after.terms_revision == 2
    media = {t.from_id: t.media for t in after.terms}
    assert media[alpha.org.id] == MediaRules(("picture",), Limits(allow_gps=True),
                                             ((beta.org.id, Limits(proxy_only=True, allow_gps=True)),))
    assert media[beta.org.id] == MediaRules((), Limits(max_resolution=1080))


async def test_the_agreement_page_says_the_media_rules_in_the_members_language(sign_in, orgs, engine) -> None:  # type: ignore[no-untyped-def]
    alpha, beta, _ = orgs
    with writing(engine) as conn:
        made = create_agreement(conn, alpha.org, "test", {
            "title": "Photo pool", "parties": ["alpha", "beta"],
            "terms": [{"from": "alpha", "media": {"types": ["picture", "video"], "max_resolution": 1080,
                                                  "partners": {"beta": {"proxy_only": True, "allow_gps": True}}}},
                      {"from": "beta", "types": ["text"]}]})
    page = (await (await sign_in("alpha")).get(f"/agreements/{made.id}")).text
    for sentence in ("Media shared: picture and video.", "Partners receive media up to 1,080 pixels on the shorter side.",
                     "The GPS location recorded in originals is removed for partners.",
                     "Beta receives previews and proxies only, not the originals.",
                     "Beta may receive the GPS location recorded in originals.",
                     "No pictures, video, audio or graphics are shared."):  # the last: Beta's text-only term
        assert sentence in page, sentence
    persian = (await (await sign_in("alpha", locale="fa")).get(f"/agreements/{made.id}")).text
    assert "رسانه‌های مشترک:" in persian and "۱٬۰۸۰" in persian
    assert "\u2068Beta\u2069 فقط پیش‌نمایش‌ها" in persian  # the Latin name isolated inside the Persian sentence
