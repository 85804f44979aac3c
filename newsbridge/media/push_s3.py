"""Sending an original into a partner's S3 bucket, with boto3, through the SSRF guard.

The partner names the S3 service, so its endpoint is as untrusted as a webhook URL. boto3 signs
each request (SigV4) as usual, but does not send it: a ``before-send`` hook passes every request
through the guard (``targets.py``: the host resolved once, every address public unless the operator
allows its range) and sends it with httpx to the address that was checked, with the name in Host
and TLS SNI, as webhooks are sent. A DNS answer that changes between the check and the connection,
or a redirect, cannot take the hub to an internal address; botocore's own retries are off (the push
has the webhooks' attempts and back-off instead).

An original up to :data:`PART` bytes goes in one ``PutObject``; a larger one in a multipart upload
of :data:`PART`-sized parts read from the blob store as they go (memory stays at one part, whatever
the file's size). Each request carries ``Content-MD5``, so the service refuses a part that arrives
altered; the object carries the SHA-256 in its metadata (``x-amz-meta-sha256``), and its size is
checked with ``HeadObject`` at the end.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from newsbridge.errors import InvalidInput
from newsbridge.targets import Resolver, Target, check_url, host_header, system_resolver

PART = 8 * 1024 * 1024
USER_AGENT = "Newsbridge-MediaPush/1"
_DROPPED_HEADERS = ("expect", "host", "content-length", "transfer-encoding")


@dataclass(frozen=True)
class Bucket:
    """Where to push, with the credentials in clear (the worker's, for one push)."""

    endpoint_url: str
    bucket: str
    region: str
    access_key: str
    secret_key: str


class _Raw:
    """What botocore reads a response body from."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


class GuardedSender:
    """The ``before-send`` hook: each request checked and sent to the checked address."""

    def __init__(self, allow: Iterable[str], resolver: Resolver = system_resolver, timeout: float = 60.0) -> None:
        self.allow = tuple(allow)
        self.resolver = resolver
        self.http = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self.checked: dict[str, Target] = {}

    def check(self, url: str) -> Target:
        base = url.split("/", 3)[:3]  # scheme://host:port: resolved once per push, every request to it
        key = "/".join(base)
        if key not in self.checked:
            self.checked[key] = check_url(key, self.allow, self.resolver)
        target = self.checked[key]
        return Target(url, target.scheme, target.host, target.port, target.address)

    def __call__(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        target = self.check(request.url)
        headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
                   if k.lower() not in _DROPPED_HEADERS}
        headers["host"] = host_header(target)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        response = self.http.request(request.method, target.connect_url(), headers=headers, content=body or b"",
                                     extensions={"sni_hostname": target.host})
        return AWSResponse(request.url, response.status_code, dict(response.headers), _Raw(response.content))

    def close(self) -> None:
        self.http.close()


def s3_client(bucket: Bucket, sender: GuardedSender) -> Any:
    """A boto3 S3 client for the partner's service whose requests go through ``sender``."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    client = session.client(
        "s3", endpoint_url=bucket.endpoint_url, aws_access_key_id=bucket.access_key,
        aws_secret_access_key=bucket.secret_key, region_name=bucket.region,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"},
                      user_agent_extra=USER_AGENT, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))
    client.meta.events.register("before-send.s3", sender)
    return client


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _parts(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The blob's chunks regrouped in parts of ``size`` bytes (the last one shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


def put_original(client: Any, bucket: str, key: str, chunks: Iterable[bytes], *, size: int, content_type: str,
                 sha256: str, progress: Callable[[], None] = lambda: None, part: int = PART) -> None:
    """Put the bytes ``chunks`` yield (``size`` of them) at ``key``; ``progress`` is called after
    each part (the worker renews its lease there). Raises what boto3 or httpx raise, and
    InvalidInput when the guard refuses an address."""
    metadata = {"sha256": sha256}
    if size <= part:
        data = b"".join(chunks)
        client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type, ContentMD5=_md5(data),
                          Metadata=metadata)
    else:
        upload = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type,
                                                Metadata=metadata)["UploadId"]
        try:
            done = []
            for number, data in enumerate(_parts(chunks, part), start=1):
                answer = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data,
                                            ContentMD5=_md5(data))
                done.append({"PartNumber": number, "ETag": answer["ETag"]})
                progress()
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                             MultipartUpload={"Parts": done})
        except BaseException:
            try:
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
            except Exception:
                pass  # the service is gone: its lifecycle rules clear the parts
            raise
    stored = client.head_object(Bucket=bucket, Key=key)
    if int(stored["ContentLength"]) != size:
        raise InvalidInput(f"the bucket kept {stored['ContentLength']} bytes of {size} at {key}", field="size")
