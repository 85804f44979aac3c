"""Every route of the app and how the access matrix calls it (tests/api/test_access_matrix.py).

A new route fails ``test_every_route_has_an_access_case`` until it has a case here: someone decides
who may see what through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from newsbridge.ids import new_id

MANAGE = ("publish", "read", "manage")
POLITICS = {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
SPORT = {"name": "sport", "uri": "http://cv.iptc.org/newscodes/mediatopic/15000000"}
PARAMETER = re.compile(r"\{(\w+)\}")
HOOK = "https://93.184.216.34/hooks/newsbridge"
TUS = {"Tus-Resumable": "1.0.0"}
BUCKET = {"endpoint_url": "https://93.184.216.34", "bucket": "alpha-archive", "access_key": "AKIAALPHA",
          "secret_key": "alpha-secret"}  # a push target on a public address literal: nothing is called  # a public address literal: no DNS needed


@dataclass(frozen=True)
class Case:
    """How to call one route and which rule it answers to.

    kind: ``owned`` (an id of something A owns: outsiders get 404 like a missing id),
    ``list`` / ``write`` / ``public`` (no id: the answer must not carry A's secrets),
    ``feed`` (the caller's own feed token in the path), ``stream`` (server-sent events).
    ``source_only``: a recipient of the item gets 404 too.
    """

    kind: str
    body: Any = None
    status: int = 200  # what C and D get where the route takes no id of A's
    source_only: bool = False
    headers: dict[str, str] | None = None  # sent besides the key (the tus protocol's own)
    owner_status: int = 200  # what the item's source gets on its own item (409: sharing with itself)


OWN_STORY = {"uri": "urn:alpha:x", "version": "1", "type": "text", "language": "en",
             "headlines": [{"role": "main", "value": "A story of one's own"}]}
OWN_AGREEMENT = {"title": "Gamma group exchange", "parties": ["gamma", "gamma-outlet"], "terms": [{"from": "gamma"}]}
OWN_PROJECT = {"title": "Gamma group project", "participants": ["gamma", "gamma-outlet"], "languages": ["en"]}
AMENDMENT = {"title": "A-B exchange, amended", "terms": [{"from": "alpha", "topics": ["medtop:04000000"]}]}

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/items/{item_id}"): Case("owned"),
    ("GET", "/api/v1/items/{item_id}/versions"): Case("owned"),
    ("GET", "/api/v1/items/{item_id}/story"): Case("owned"),
    ("GET", "/api/v1/items/{item_id}/pickups"): Case("owned"),
    # a pickup of A's item X detected in B's own item: B is its other side (tests/stories/test_pickup_decisions.py)
    ("POST", "/api/v1/pickups/{pickup_id}:confirm"): Case("owned"),
    ("POST", "/api/v1/pickups/{pickup_id}:dismiss"): Case("owned"),
    ("POST", "/api/v1/items/{item_id}/translations"): Case("owned", {"language": "ru"}),
    ("GET", "/api/v1/items/{item_id}/translations"): Case("owned"),
    ("PUT", "/api/v1/items/{item_id}/translations/{language}"): Case("owned", {"headline": "Taken over", "text": "x"}),
    ("POST", "/api/v1/items/{item_id}/translations/{language}:share"): Case("owned", owner_status=409),
    ("PUT", "/api/v1/glossary/{term_id}"): Case("owned", {"forms": {"en": "Taken over"}}),
    ("DELETE", "/api/v1/glossary/{term_id}"): Case("owned"),
    ("GET", "/api/v1/items/{item_id}/routing"): Case("owned", source_only=True),
    ("GET", "/api/v1/items/{item_id}/deliveries"): Case("owned", source_only=True),
    ("GET", "/api/v1/agreements/{agreement_id}"): Case("owned"),
    ("GET", "/api/v1/agreements/{agreement_id}/history"): Case("owned"),
    ("GET", "/api/v1/agreements/{agreement_id}/roadmap"): Case("owned"),
    ("GET", "/api/v1/agreements/{agreement_id}/metrics"): Case("owned"),
    ("GET", "/api/v1/agreements/{agreement_id}/metrics.csv"): Case("owned"),
    ("GET", "/api/v1/agreements/{agreement_id}/report.pdf"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:propose"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:sign"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:suspend"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:end"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:decline"): Case("owned"),
    ("POST", "/api/v1/agreements/{agreement_id}:amend"): Case("owned", AMENDMENT),
    ("POST", "/api/v1/agreements/{agreement_id}/roadmap"): Case("owned", {"title": "Take over the roadmap"}),
    ("PATCH", "/api/v1/agreements/{agreement_id}/roadmap/{commitment_id}"): Case("owned", {"status": "done"}),
    ("GET", "/api/v1/endpoints/{endpoint_id}"): Case("owned"),
    ("PATCH", "/api/v1/endpoints/{endpoint_id}"): Case("owned", {"enabled": False}),
    ("POST", "/api/v1/endpoints/{endpoint_id}:rotate-secret"): Case("owned"),
    ("POST", "/api/v1/endpoints/{endpoint_id}:replay"): Case("owned"),
    ("GET", "/api/v1/media-push-targets/{target_id}"): Case("owned"),
    ("PATCH", "/api/v1/media-push-targets/{target_id}"): Case("owned", {"enabled": False}),
    ("GET", "/api/v1/media-push-targets/{target_id}/pushes"): Case("owned"),
    ("POST", "/api/v1/media-push-targets/{target_id}:replay"): Case("owned"),
    ("POST", "/api/v1/feed-tokens/{token_id}:revoke"): Case("owned"),
    ("POST", "/api/v1/keys/{key_id}:revoke"): Case("owned"),
    ("DELETE", "/api/v1/keys/{key_id}"): Case("owned"),
    ("PATCH", "/api/v1/members/{member_id}"): Case("owned", {"role": "viewer"}),
    ("POST", "/api/v1/members/{member_id}:deactivate"): Case("owned"),
    ("DELETE", "/api/v1/members/{member_id}"): Case("owned"),
    ("GET", "/api/v1/sources/{source_id}"): Case("owned"),
    ("PATCH", "/api/v1/sources/{source_id}"): Case("owned", {"enabled": False}),
    ("POST", "/api/v1/sources/{source_id}:poll-now"): Case("owned"),
    ("GET", "/api/v1/projects/{project_id}"): Case("owned"),
    ("POST", "/api/v1/projects/{project_id}:accept"): Case("owned"),
    ("POST", "/api/v1/projects/{project_id}/observers"): Case("owned", {"organization": "beta"}),
    ("GET", "/api/v1/projects/{project_id}/events"): Case("owned"),
    ("POST", "/api/v1/projects/{project_id}/deliverables"): Case("owned", {"title": "Taken over", "kind": "article"}),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}"): Case("owned"),
    ("PATCH", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}"): Case("owned", {"title": "Taken over"}),
    ("POST", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}:move"): Case("owned", {"to": "dropped"}),
    ("POST", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}:approve"): Case("owned"),
    ("POST", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}:publish"): Case("owned"),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}"): Case("owned"),
    ("PUT", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}"): Case(
        "owned", {"headline": "Overwritten", "base_revision": 1}),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions"): Case("owned"),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions/{number}"):
        Case("owned"),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/diff"): Case("owned"),
    ("GET", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/comments"): Case("owned"),
    ("POST", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/revisions/{number}/"
             "comments"): Case("owned", {"body": "Taken over"}),
    ("POST", "/api/v1/projects/{project_id}/deliverables/{deliverable_id}/comments/{comment_id}:resolve"):
        Case("owned"),
    ("GET", "/api/v1/items"): Case("list"),
    ("GET", "/api/v1/inbox"): Case("list"),
    ("GET", "/api/v1/search"): Case("list"),
    ("GET", "/api/v1/glossary"): Case("list"),
    ("GET", "/api/v1/agreements"): Case("list"),
    ("GET", "/api/v1/feed"): Case("list"),
    ("GET", "/api/v1/deliveries"): Case("list"),
    ("GET", "/api/v1/endpoints"): Case("list"),
    ("GET", "/api/v1/media-push-targets"): Case("list"),
    ("GET", "/api/v1/feed-tokens"): Case("list"),
    ("GET", "/api/v1/keys"): Case("list"),
    ("GET", "/api/v1/members"): Case("list"),
    ("GET", "/api/v1/sso"): Case("list", status=404),  # C and D have no directory; A's is never shown
    ("DELETE", "/api/v1/sso"): Case("write", status=404),
    ("GET", "/api/v1/audit"): Case("list"),
    ("GET", "/api/v1/audit.csv"): Case("list"),
    ("GET", "/api/v1/audit.jsonl"): Case("list"),
    ("GET", "/api/v1/sources"): Case("list"),
    ("GET", "/api/v1/projects"): Case("list"),
    ("GET", "/feeds/{token}/atom.xml"): Case("feed"),
    ("GET", "/feeds/{token}/feed.json"): Case("feed"),
    ("GET", "/feeds/{token}/rss.xml"): Case("feed"),
    ("OPTIONS", "/api/v1/uploads"): Case("public", status=204),
    ("POST", "/api/v1/uploads"): Case("write", status=201, headers={**TUS, "Upload-Length": "5"}),
    ("HEAD", "/api/v1/uploads/{upload_id}"): Case("owned", headers=TUS),
    ("PATCH", "/api/v1/uploads/{upload_id}"): Case("owned", headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}),
    ("POST", "/api/v1/media"): Case("write", status=422),  # no file sent: refused, and nothing of A's shown
    # The signed media URL: tests/media/test_media_urls.py shows a stranger gets 404 even with a URL
    # signed for itself, and a URL not signed for the caller 403 whether or not the rendition exists.
    ("GET", "/media/{rendition_id}"): Case("signed"),
    ("GET", "/feeds/{token}/items/{item_id}"): Case("owned"),
    ("GET", "/api/v1/stream"): Case("stream"),
    ("POST", "/api/v1/items"): Case("write", OWN_STORY, 201),
    ("POST", "/api/v1/items:upload"): Case("write", OWN_STORY, 201),
    ("POST", "/api/v1/agreements"): Case("write", OWN_AGREEMENT, 201),
    ("POST", "/api/v1/projects"): Case("write", OWN_PROJECT, 201),
    ("POST", "/api/v1/endpoints"): Case("write", {"url": HOOK + "/own"}, 201),
    ("POST", "/api/v1/media-push-targets"): Case("write", {**BUCKET, "bucket": "own-bucket"}, 201),
    ("POST", "/api/v1/feed-tokens"): Case("write", None, 201),
    ("POST", "/api/v1/glossary"): Case("write", lambda partner: {"forms": {"en": f"Own term {new_id()}"}}, 201),
    ("POST", "/api/v1/keys"): Case("write", {"scopes": ["read"], "label": "own"}, 201),
    ("POST", "/api/v1/members"): Case("write", {"email": "own-hire@own.example", "role": "viewer"}, 201),
    ("PUT", "/api/v1/sso"): Case("write", lambda partner: {  # each caller's own domain (one organization a domain)
        "issuer": "https://93.184.216.34/realms/own", "client_id": "own", "client_secret": "own-secret",
        "domains": [f"{partner.org.slug}.example"]}),
    ("POST", "/api/v1/sources"): Case("write", {"url": "https://93.184.216.34/feeds/own.xml"}, 201),
    ("GET", "/api/v1/me"): Case("public"),
    ("GET", "/api/v1/organization"): Case("list"),  # the caller's own profile
    ("PATCH", "/api/v1/organization"): Case("write", {"credit_line": "Our own credit", "names": {"kk": "Өзіміз"}}),
    ("GET", "/api/v1/schemas/{name}"): Case("public"),
    ("GET", "/healthz"): Case("public"),
    ("GET", "/metrics"): Case("public"),
}
OWNED_ROUTES = [route for route, case in CASES.items() if case.kind == "owned"]
ITEM_ROUTES = [route for route in OWNED_ROUTES if "{item_id}" in route[1]]
OTHER_ROUTES = [route for route, case in CASES.items() if case.kind in ("list", "write", "public", "feed")]
ROUTE_ID = "{0[0]} {0[1]}".format
