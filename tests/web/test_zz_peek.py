import re, html, pytest
pytestmark = pytest.mark.anyio
from test_agreement_pages import orgs, propose  # noqa
from babel.messages.pofile import read_po
import newsbridge.web.i18n as i18n

async def test_peek(sign_in, orgs, monkeypatch):
    base = i18n.catalogue("ru")
    extra = {m.id: m.string for m in read_po(open('/tmp/newsbridge-agreements-ru.po','rb'), locale='ru') if m.id}
    monkeypatch.setattr(i18n, "catalogue", lambda loc: {**base, **extra} if loc == "ru" else {})
    alpha, beta = await sign_in("alpha"), await sign_in("beta", locale="ru")
    aid = await propose(alpha)
    page = await beta.get(f"/agreements/{aid}")
    t = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    print(t[t.index("Что передаёт"):t.index("Дорожная карта", t.index("Что передаёт"))])
