"""The hostile corpus itself: addresses, strings and documents the tests push through the hub."""

from __future__ import annotations

import base64

from tests.reliability.hostile_checks import SCRIPT

SSRF_URLS = [
    "http://[::ffff:127.0.0.1]/hook", "http://[::ffff:7f00:1]/hook",  # IPv4-mapped IPv6
    "http://[2002:7f00::1]/hook", "http://[2002:a9fe:a9fe::]/hook",  # 6to4 of 127.0.0.1, 169.254.169.254
    "http://[64:ff9b::7f00:1]/hook", "http://[64:ff9b::a00:1]/hook",  # NAT64 of 127.0.0.1, 10.0.0.1
    "http://[::127.0.0.1]/hook", "http://[::1]/hook", "http://[fe80::1]/hook", "http://[fc00::1]/hook",
    "http://2130706433/hook", "http://0177.0.0.1/hook", "http://0x7f000001/hook", "http://127.1/hook",
    "http://0/hook", "http://0.0.0.0/hook", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook",
    "http://192.168.1.1/hook", "http://100.64.0.1/hook",
    "http://localhost/hook", "http://localhost.:8080/hook", "http://api.localhost/hook", "http://LOCALHOST/hook",
    "http://user:pass@example.com/hook", "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://example.com/",
]
PUBLIC = "93.184.215.14"  # a public address as a literal: refused for its characters, not for want of DNS
INJECTED_URLS = [f"http://{PUBLIC}/hook\r\nX-Injected: 1", f"http://{PUBLIC}/hook\nHost: 127.0.0.1",
                 f"http://{PUBLIC}/ho\tok", f"http://{PUBLIC}/ho ok", f"http://{PUBLIC}/\x00hook",
                 f"http://{PUBLIC}/hook\r\n\r\n<script>x</script>", f"\nhttp://{PUBLIC}/hook"]
SEARCHES = ['"', '"unbalanced', "NEAR(a b)", "a AND", "OR", "AND OR NOT", "*", "x*", "^x", "a:b", "title:x",
            "' OR 1=1 --", "'; DROP TABLE items; --", "\\", "%", "_", "(", ")", "{a}", "-a", "a & b", "a | !b",
            ":*", "a <-> b", "1' UNION SELECT password_hash FROM members --", "'" * 300, "ق ي ك", "\u202e"]
UPLOAD_NAMES = ["../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "....//....//etc/cron.d/x",
                "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "a\r\nSet-Cookie: stolen=1.png", "x\";\r\nContent-Type: text/html.png",
                "<script>alert('nbx')</script>.png", ".htaccess", "CON", "a" * 4000 + ".png"]
DEEP = b'{"uri": "urn:alpha:deep", "headlines": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lololololololololol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<nitf><head><title>&lol5;</title></head><body><body.head><hedline><hl1>&lol5;</hl1></hedline></body.head>
<body.content><p>&lol5;</p></body.content></body></nitf>"""


def xxe(system: str) -> bytes:
    return f"""<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY xxe SYSTEM "{system}">]>
<nitf><head><title>&xxe;</title><docdata><doc-id id-string="xxe-1"/></docdata></head><body><body.head>
<hedline><hl1>Leak &xxe;</hl1></hedline></body.head><body.content><p>&xxe;</p></body.content></body></nitf>""".encode()


def parameter_entity(system: str) -> bytes:
    return f"""<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY % remote SYSTEM "{system}"> %remote;]>
<nitf><head><title>t</title></head><body><body.content><p>x</p></body.content></body></nitf>""".encode()


def nitf(headline: str, body_xml: str, doc_id: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><nitf baselang="en"><head><title>{headline}</title>
<docdata management-status="usable"><doc-id id-string="{doc_id}"/></docdata></head><body><body.head><hedline>
<hl1>{headline}</hl1></hedline></body.head><body.content>{body_xml}</body.content></body></nitf>""".encode()


def newsml(headline: str, body_xhtml: str, guid: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{guid}" version="1" standard="NewsML-G2"
 standardversion="2.35"><itemMeta><itemClass qcode="ninat:text"/><provider literal="alpha"/>
<versionCreated>2026-11-20T09:30:00Z</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>
<contentMeta><language tag="en"/><headline>{headline}</headline></contentMeta><contentSet>
<inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>
</head><body>{body_xhtml}</body></html></inlineXML></contentSet></newsItem>""".encode()


ESCAPED = SCRIPT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # the script as XML text
XHTML_SCRIPT = ('<p>Text.</p><script>alert("nbx")</script><img src="x" onerror="alert(\'nbx\')"/>'
                '<a href="javascript:alert(\'nbx\')">link</a><a href=" JaVaScRiPt:alert(1)">two</a>'
                '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'nbx\')"/><iframe src="javascript:alert(1)"/>')


def rss(headline_escaped: str, guid: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Alpha</title>
<link>https://alpha.example/</link><description>d</description><language>en</language><item>
<title>{headline_escaped}</title><guid>{guid}</guid><link>javascript:alert('nbx')</link>
<description>{headline_escaped}</description><content:encoded><![CDATA[{XHTML_SCRIPT}]]></content:encoded>
</item></channel></rss>""".encode()


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")
