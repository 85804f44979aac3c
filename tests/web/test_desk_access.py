"""Every desk page that takes an id answers a stranger exactly like a missing id: the 404 page.

The routes are read from the app, so a new desk page with an id fails here until it has a case.
"""

from __future__ import annotations

import re

import pytest

from newsbridge.accounts.members import add_member
from newsbridge.alerts.saved_searches import save_search
from newsbridge.db.engine import writing
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.delivery.feeds import create_feed_token, list_feed_tokens
from newsbridge.desk.pickups import record_detected_pickup
from newsbridge.translation.glossary import add_term

pytestmark = pytest.mark.anyio
PARAMETER = re.compile(r"\{(\w+)\}")
SECRET_HEADLINE = "Alpha's story only Beta may read"
CASES = {  # (method, path): form fields posted (besides the CSRF token)
    ("GET", "/items/{item_id}"): None,
    ("GET", "/items/{item_id}/download"): None,
    ("POST", "/items/{item_id}/pickup"): {"url": "https://stranger.example/copy"},
    ("POST", "/pickups/{pickup_id}/confirm"): {"item": "01NOSUCHTHING0000000000000"},  # beta's copy of alpha's item
    ("POST", "/pickups/{pickup_id}/dismiss"): {},
    ("GET", "/items/{item_id}/preview"): None,
    ("GET", "/items/{item_id}/thumbnail"): None,
    ("GET", "/outgoing/media/uploads/{upload_id}"): None,
    ("POST", "/items/{item_id}/correct"): {"headline": "Taken over", "body": "Taken over"},
    ("GET", "/items/{item_id}/withdraw"): None,
    ("POST", "/items/{item_id}/withdraw"): {"confirm": "yes"},
    ("POST", "/alerts/searches/{search_id}/alerts"): {"alerts": "on"},
    ("POST", "/alerts/searches/{search_id}/delete"): {},
    ("GET", "/partners/{slug}"): None,
    ("POST", "/partners/endpoints/{endpoint_id}/{action}"): {},
    ("POST", "/partners/feed-tokens/{token_id}/revoke"): {},
    ("POST", "/partners/media-push/{target_id}/{action}"): {},
    ("POST", "/team/members/{member_id}/role"): {"role": "viewer"},
    ("POST", "/team/members/{member_id}/deactivate"): {},
    ("POST", "/team/keys/{key_id}/revoke"): {},
    ("POST", "/glossary/{term_id}"): {"form_en": "Taken over"},
    ("POST", "/glossary/{term_id}/delete"): {},
    ("POST", "/items/{item_id}/translations/{language}"): {"headline": "Taken over", "body": "Taken over"},
    ("POST", "/items/{item_id}/translations/{language}/share"): {},
    ("GET", "/agreements/{agreement_id}"): None,
    ("POST", "/agreements/{agreement_id}/propose"): {},
    ("POST", "/agreements/{agreement_id}/sign"): {},
    ("POST", "/agreements/{agreement_id}/suspend"): {},
    ("POST", "/agreements/{agreement_id}/end"): {"confirm": "yes"},
    ("GET", "/agreements/{agreement_id}/end"): None,
    ("GET", "/agreements/{agreement_id}/metrics"): None,
    ("GET", "/agreements/{agreement_id}/report"): None,
    ("GET", "/agreements/{agreement_id}/metrics.csv"): None,
    ("GET", "/agreements/{agreement_id}/report.pdf"): None,
    ("POST", "/agreements/{agreement_id}/decline"): {},
    ("GET", "/agreements/{agreement_id}/amend"): None,
    ("POST", "/agreements/{agreement_id}/amend"): {"title": "Taken over", "ours_share": "on"},
    ("POST", "/agreements/{agreement_id}/media"): {"term": "0", "revision": "1", "proxy_only": "on"},
    ("POST", "/agreements/{agreement_id}/roadmap"): {"title": "Taken over"},
    ("POST", "/agreements/{agreement_id}/roadmap/{commitment_id}"): {"status": "done"},
    ("GET", "/projects/{project_id}"): None,
    ("POST", "/projects/{project_id}/accept"): {},
    ("POST", "/projects/{project_id}/deliverables"): {"title": "Taken over", "kind": "article"},
    ("GET", "/projects/{project_id}/deliverables/{deliverable_id}"): None,
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/status"): {"to": "dropped"},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/assign"): {"assignee": "alpha"},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}"): {"headline": "Taken over"},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/comments"): {"language": "en", "revision": "1",
                                                                                 "body": "Taken over"},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/comments/{comment_id}/resolve"): {},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/approve"): {},
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/publish"): {},
    ("GET", "/projects/{project_id}/live"): None,
    # the operator console: a member (the stranger here) sees none of it (tests/web/test_operator_console.py)
    ("GET", "/operator/organizations/{slug}"): None,
    ("POST", "/operator/organizations/{slug}/suspend"): {"reason": "Taken over"},
    ("POST", "/operator/organizations/{slug}/reactivate"): {},
    ("POST", "/operator/organizations/{slug}/resend"): {"invitation_id": "01M91H00000000000000000000"},
    ("POST", "/operator/organizations/{slug}/media-limit"): {"max_media_bytes": "1 TiB"},
    ("GET", "/operator/organizations/{slug}/items"): None,  # support access (tests/web/test_support_grant.py)
    ("GET", "/operator/organizations/{slug}/items/{item_id}"): None,
    ("POST", "/projects/{project_id}/deliverables/{deliverable_id}/drafts/{language}/media"): {"upload": "01J",
                                                                                             "base_revision": "1"},
}


def desk_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = set()
    for included in app.routes:
        for route in getattr(getattr(included, "original_router", None), "routes", []):
            path = getattr(route, "path", "")
            # /media/ serves signed URLs to API clients: tests/media/test_media_urls.py and the access matrix;
            # /invite/{token}: the token is the credential (unknown, used, expired: tests/api/test_members_api.py)
            if PARAMETER.search(path) and not path.startswith(("/api/", "/feeds/", "/media/", "/invite/")):
                found |= {(method, path) for method in route.methods}
    return found


def test_every_desk_route_with_an_id_has_a_case(app) -> None:
    assert desk_routes(app) == set(CASES)


@pytest.fixture
async def world(client, make_partner, engine):  # type: ignore[no-untyped-def]
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    make_partner("gamma")
    body = {"title": "Alpha-Beta exchange", "parties": ["alpha", "beta"], "terms": [{"from": "alpha"}],
            "roadmap": [{"title": "Exchange daily", "owner": "alpha"}]}
    agreement = (await client.post("/api/v1/agreements", json=body, headers=alpha.headers)).json()
    for who, action in ((alpha, "propose"), (alpha, "sign"), (beta, "sign")):
        await client.post(f"/api/v1/agreements/{agreement['id']}:{action}", headers=who.headers)
    item = {"uri": "urn:alpha:1", "language": "en", "headlines": [{"value": SECRET_HEADLINE}]}
    item_id = (await client.post("/api/v1/items", json=item, headers=alpha.headers)).json()["id"]
    copy = {"uri": "urn:beta:1", "language": "en", "headlines": [{"value": "Beta's copy"}]}
    copy_id = (await client.post("/api/v1/items", json=copy, headers=beta.headers)).json()["id"]
    photo = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"  # sniffed as a JPEG; a finished upload of alpha's
    tus = {**alpha.headers, "Tus-Resumable": "1.0.0"}
    created = await client.post("/api/v1/uploads", headers={**tus, "Upload-Length": str(len(photo))})
    location = created.headers["location"]
    await client.patch(location, content=photo, headers={**tus, "Upload-Offset": "0",
                                                         "Content-Type": "application/offset+octet-stream"})
    with writing(engine) as conn:
        endpoint, _secret = create_endpoint(conn, alpha.org, "https://93.184.216.34/hook")
        create_feed_token(conn, alpha.org)
        [token] = list_feed_tokens(conn, alpha.org)
        editor = add_member(conn, "alpha", "editor@alpha.example", "Editor of Alpha", "editor", "correct horse battery")
        search = save_search(conn, editor, "Alpha's search", {"q": "alpha"})
        term = add_term(conn, alpha.org, {"en": "Alpha-Beta exchange"})
        pickup_id = record_detected_pickup(conn, item_id, copy_id)
    target = await client.post("/api/v1/media-push-targets", headers=alpha.headers, json={
        "endpoint_url": "https://93.184.216.34", "bucket": "alpha-archive", "access_key": "AKIAALPHA",
        "secret_key": "alpha-secret"})
    assert target.status_code == 201, target.text
    project = await _project(client, alpha, agreement["id"])
    return {**project, "item_id": item_id, "upload_id": location.rsplit("/", 1)[1], "slug": "alpha", "endpoint_id": endpoint.id, "action": "rotate",
            "token_id": token["id"], "agreement_id": agreement["id"], "search_id": search.id,
            "target_id": target.json()["id"], "member_id": editor.id, "key_id": "nb_" + alpha.key.split("_")[1], "term_id": term.id,
            "pickup_id": pickup_id,
            "commitment_id": agreement["roadmap"]["commitments"][0]["id"]}


async def _project(client, alpha, agreement_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A joint project of alpha and beta (the stranger is gamma) with a draft and a comment on it."""
    base = "/api/v1/projects"
    made = await client.post(base, headers=alpha.headers, json={"title": "Alpha-Beta exchange", "languages": ["en"],
                                                                "agreement": agreement_id})
    project_id = made.json()["id"]
    planned = await client.post(f"{base}/{project_id}/deliverables", headers=alpha.headers,
                                json={"title": SECRET_HEADLINE, "kind": "article"})
    deliverable_id = planned.json()["id"]
    drafts = f"{base}/{project_id}/deliverables/{deliverable_id}/drafts/en"
    await client.put(drafts, headers=alpha.headers, json={"headline": SECRET_HEADLINE, "base_revision": 0})
    said = await client.post(f"{base}/{project_id}/deliverables/{deliverable_id}/drafts/en/revisions/1/comments",
                             headers=alpha.headers, json={"body": "Alpha only"})
    assert said.status_code == 201, said.text
    return {"project_id": project_id, "deliverable_id": deliverable_id, "language": "en",
            "comment_id": said.json()["id"]}


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_a_stranger_gets_the_404_page(sign_in, world, route) -> None:
    method, template = route
    stranger = await sign_in("gamma", "admin")
    path = PARAMETER.sub(lambda m: world[m.group(1)], template)
    missing = PARAMETER.sub(lambda m: "nosuch" if m.group(1) == "action" else "01NOSUCHTHING0000000000000", template)
    if method == "GET":
        theirs, nothing = await stranger.get(path), await stranger.get(missing)
    else:
        theirs, nothing = await stranger.post(path, CASES[route]), await stranger.post(missing, CASES[route])
    assert theirs.status_code == nothing.status_code == 404
    assert SECRET_HEADLINE not in theirs.text and "Alpha-Beta exchange" not in theirs.text
    assert "nothing your organization may see" in theirs.text
