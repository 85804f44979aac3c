"""A hostile item opened by a recipient in Chromium runs nothing and fetches nothing it names.

The report's item: a main HTML body that sanitizes to nothing and an ``alt`` body
``<img src=x onerror=alert(document.domain)>``, which the item page used to show raw; plus
script in every other HTML-bearing field. The page must fire no dialog, request nothing but the alert count,
itself and the hub's /static/ files (a raw ``<img src=x>`` would fetch /items/x), and hold no
element with an event handler or a ``javascript:`` link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.desk_world import World, live_world
from tests.browser.test_desk import sign_in

pytestmark = pytest.mark.browser


def hostile(n: int) -> str:
    return (f"<img src=x{n} onerror=alert('xss-{n}')><script>alert('xss-{n}')</script>"
            f"<a href=\"javascript:alert('xss-{n}')\">link {n}</a><svg onload=alert('xss-{n}')></svg>"
            f"<iframe src=\"javascript:alert('xss-{n}')\"></iframe>")


HOSTILE_ITEM = {
    "uri": "urn:kazinform:hostile:1", "version": "1", "type": "text", "language": "en",
    "headlines": [{"role": "main", "value": "A perfectly ordinary headline"},
                  {"role": "alt", "contentType": "text/html", "value": hostile(1)}],
    "descriptions": [{"role": "alt", "contentType": "text/html", "value": hostile(2)}],
    "bodies": [{"role": "main", "contentType": "text/html", "value": "<script>alert('xss-0')</script>"},
               {"role": "alt", "contentType": "text/html", "value": "<img src=x onerror=alert(document.domain)>"},
               {"role": "print", "contentType": "text/html", "value": "<p>Visible words.</p>" + hostile(3)}],
    "associations": [{"name": "photo", "uri": "urn:kazinform:photo:1",
                      "bodies": [{"contentType": "text/html", "value": hostile(4)}]}],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with live_world(tmp_path_factory.mktemp("hostile")) as found:
        yield found


def test_the_hostile_item_runs_nothing_and_fetches_nothing(page, world: World) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{world.url}/api/v1/items", json=HOSTILE_ITEM,
                          headers={"Authorization": f"Bearer {world.keys['kazinform']}"})
    assert response.status_code == 201, response.text
    item_id = response.json()["id"]
    sign_in(page, world, "admin@irna.example")

    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    item_url = f"{world.url}/items/{item_id}"
    opened = page.goto(item_url)
    assert opened is not None and opened.status == 200
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # an onerror fires once the failed image request ends

    assert "A perfectly ordinary headline" in page.inner_text("h1")  # the control: it is the item
    assert dialogs == []
    hub = urlsplit(world.url)
    # the page's own scripts ask the hub for the alert count and live events; nothing else may be fetched
    own = ("/static/", "/alerts/summary", "/projects/summary", "/alerts/list", "/desk/events", "/desk/unread")
    unexpected = [url for url in requests if url != item_url and not (
        urlsplit(url)[:2] == hub[:2] and urlsplit(url).path.startswith(own))]
    assert unexpected == []
    handlers = page.evaluate("""() => [...document.querySelectorAll('article *')].flatMap(el =>
        [...el.attributes].filter(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
                          .map(a => el.tagName + ' ' + a.name))""")
    assert handlers == []
    assert page.locator("article script, article iframe, article svg").count() == 0
