"""The desk's organization profile page (``/team/profile``): admins save it, in their language (Persian right to
left); a mistake is shown with what was typed kept; everyone else of the organization only reads it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_the_desk_page_saves_for_admins_and_shows_errors_with_what_was_typed(sign_in, make_partner) -> None:
    make_partner("irna", timezone="Asia/Tehran")
    admin = await sign_in("irna", "admin", locale="fa")
    page = await admin.get("/team/profile")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    saved = await admin.post("/team/profile", {"name": "IRNA", "credit_line": "IRNA", "timezone": "Asia/Tehran",
                                               "languages": "fa, en", "name_fa": "ایرنا", "contact_phone": ""})
    assert saved.status_code == 200 and "ایرنا" in saved.text
    refused = await admin.post("/team/profile", {"name": "IRNA", "credit_line": "IRNA", "timezone": "Tehran",
                                                 "languages": "fa", "name_fa": "خبرگزاری"})
    assert refused.status_code == 422 and 'value="Tehran"' in refused.text and 'value="خبرگزاری"' in refused.text
    editor = await sign_in("irna", "editor")
    assert "ایرنا" in (await editor.get("/team/profile")).text
    assert (await editor.post("/team/profile", {"name": "Taken over", "credit_line": "x",
                                                "timezone": "UTC"})).status_code == 403
