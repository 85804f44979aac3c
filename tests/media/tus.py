"""A small tus 1.0 client over httpx, for the tests (what tus-js-client does, step by step)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


async def create(http: httpx.AsyncClient, headers: dict[str, str], length: int, **meta: str) -> httpx.Response:
    extra = {"Upload-Metadata": metadata(**meta)} if meta else {}
    return await http.post("/api/v1/uploads", headers={**headers, **TUS, "Upload-Length": str(length), **extra})


async def patch(http: httpx.AsyncClient, headers: dict[str, str], location: str, offset: int, data: bytes,
                **extra: Any) -> httpx.Response:
    return await http.patch(location, content=data, headers={
        **headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream", **extra})


async def head(http: httpx.AsyncClient, headers: dict[str, str], location: str) -> httpx.Response:
    return await http.head(location, headers={**headers, **TUS})


async def upload(http: httpx.AsyncClient, headers: dict[str, str], data: bytes, chunk: int = 64 * 1024,
                 **meta: str) -> tuple[str, httpx.Response]:
    """The whole file in chunks; returns the upload id and the last PATCH's answer."""
    created = await create(http, headers, len(data), **meta)
    assert created.status_code == 201, created.text
    location, offset, answer = created.headers["Location"], 0, None
    while offset < len(data):
        answer = await patch(http, headers, location, offset, data[offset:offset + chunk])
        assert answer.status_code == 204, answer.text
        offset = int(answer.headers["Upload-Offset"])
    assert answer is not None
    return location.rsplit("/", 1)[1], answer
