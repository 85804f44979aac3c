"""A joint-project world for the tests: the Kazakh complex (KRTC) and IRNA co-produce under an agreement
that TASS is also party to; BBC is a stranger. Editors on both sides, a viewer at IRNA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from newsbridge.accounts.members import add_member
from newsbridge.db.engine import writing

PASSWORD = "correct horse battery staple"


@dataclass
class Joint:
    krtc: Any
    irna: Any
    tass: Any
    bbc: Any
    agreement: str
    project: str

    def url(self, rest: str = "") -> str:
        return f"/api/v1/projects/{self.project}{rest}"


async def agreement(http: httpx.AsyncClient, parties: list[Any], terms: list[dict[str, Any]] | None = None,
                    title: str = "Kazakhstan-Iran media cooperation") -> str:
    created = await http.post("/api/v1/agreements", headers=parties[0].headers, json={
        "title": title, "parties": [p.org.slug for p in parties],
        "terms": terms or [{"from": parties[0].org.slug}]})
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    for partner, action in [(parties[0], "propose")] + [(p, "sign") for p in parties]:
        done = await http.post(f"/api/v1/agreements/{agreement_id}:{action}", headers=partner.headers)
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    return agreement_id


async def joint_world(http: httpx.AsyncClient, make_partner: Any, engine: Any,
                      terms: list[dict[str, Any]] | None = None, **project: Any) -> Joint:
    scopes = ("publish", "read", "manage")
    krtc = make_partner("krtc", scopes=scopes, name="TV and Radio Complex", credit_name="Kazinform",
                        languages=["kk", "ru"])
    irna = make_partner("irna", scopes=scopes, name="IRNA", credit_name="IRNA", languages=["fa", "en"])
    tass = make_partner("tass", scopes=scopes, name="TASS", credit_name="TASS")
    bbc = make_partner("bbc", scopes=scopes, name="BBC", credit_name="BBC")
    with writing(engine) as conn:
        add_member(conn, "krtc", "aigerim@krtc.kz", "Aigerim Bekova", "editor", PASSWORD)
        add_member(conn, "irna", "reza@irna.ir", "Reza Tehrani", "editor", PASSWORD)
        add_member(conn, "irna", "sara@irna.ir", "Sara Viewer", "viewer", PASSWORD)
    agreement_id = await agreement(http, [krtc, irna, tass], terms or [{"from": "krtc"}, {"from": "irna"}])
    body = {"title": "Silk Way: Kazakhstan and Iran", "agreement": agreement_id, "participants": ["krtc", "irna"],
            "languages": ["kk", "fa"], "starts": "2026-01-01", "ends": "2026-12-31", **project}
    made = await http.post("/api/v1/projects", headers=krtc.headers, json=body)
    assert made.status_code == 201, made.text
    return Joint(krtc, irna, tass, bbc, agreement_id, made.json()["id"])


async def deliverable(http: httpx.AsyncClient, world: Joint, **fields: Any) -> dict[str, Any]:
    body = {"title": "Episode 1: The caravan roads", "kind": "documentary_episode", "assignee": "krtc",
            "assignee_member": "aigerim@krtc.kz", "due": "2026-05-01", **fields}
    made = await http.post(world.url("/deliverables"), headers=world.krtc.headers, json=body)
    assert made.status_code == 201, made.text
    return made.json()


async def save(http: httpx.AsyncClient, world: Joint, partner: Any, did: str, language: str, base: int | None,
               **fields: Any) -> httpx.Response:
    return await http.put(world.url(f"/deliverables/{did}/drafts/{language}"), headers=partner.headers,
                          json={"base_revision": base, **fields})
