"""Media tests run over both blob stores: the filesystem and a real SeaweedFS (S3) started once per
session on loopback ports; API tests also over both databases (the root conftest)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings, load_settings
from newsbridge.media.blobs import FileBlobStore, S3BlobStore, blob_store
from tests.media.seaweedfs import SeaweedS3, seaweedfs


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        store = S3BlobStore(server.endpoint, server.bucket, server.access_key, server.secret_key, server.region)
        store.create_bucket()
        yield server


@pytest.fixture(params=["filesystem", "seaweedfs"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The settings that choose a blob store: a fresh media directory, plus a SeaweedFS bucket."""
    values = {"media_dir": str(tmp_path / "media")}
    if request.param == "seaweedfs":
        server: SeaweedS3 = request.getfixturevalue("seaweed")
        values.update(s3_endpoint=server.endpoint, s3_bucket=server.bucket, s3_access_key=server.access_key,
                      s3_secret_key=server.secret_key, s3_region=server.region)
    return values


@pytest.fixture
def store(storage: dict[str, str]) -> FileBlobStore | S3BlobStore:
    return blob_store(load_settings(env={}, **storage))


@pytest.fixture
def settings(engine: Engine, storage: dict[str, str]) -> Settings:
    return load_settings(env={}, database_url=engine.url.render_as_string(hide_password=False),
                         media_url_secret="test-" + secrets.token_hex(8), **storage)

