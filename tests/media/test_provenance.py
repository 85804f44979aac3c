"""C2PA content credentials: a JPEG signed in the test with c2pa-python's Builder and an ES256
certificate chain made here with `cryptography` is read and validated (signer, generator, actions,
signature and hash bindings); one byte changed makes it invalid; a file without a manifest has none.
End to end, the derivative job keeps the summary with the media and the item API shows it under
``hub.media[].c2pa`` (the manifest store itself stays with the operators)."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import c2pa
import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading
from newsbridge.db.tables import media
from newsbridge.media.blobs import blob_store
from newsbridge.media.jobs import State
from newsbridge.media.processing import media_handlers
from newsbridge.media.provenance import public, read_credentials
from newsbridge.media.worker import JobWorker

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kazinform")])


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=sign, crl_sign=sign,
                         encipher_only=False, decipher_only=False)


def _chain() -> tuple[bytes, bytes]:
    """A test root CA and an ES256 signing certificate under it (PEM chain, PKCS#8 key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name("Kazinform Test Root")).issuer_name(_name("Kazinform Test Root"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name("Kazinform Photo Desk")).issuer_name(root.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (leaf.public_bytes(pem) + root.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def signed_jpeg() -> bytes:
    source = io.BytesIO()
    Image.new("RGB", (480, 320), (200, 40, 40)).save(source, "JPEG", quality=90)
    chain, key = _chain()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key, None))
    builder = c2pa.Builder({
        "claim_generator_info": [{"name": "Kazinform Photo Desk", "version": "1.0"}], "title": "flag.jpg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": CAPTURE},
            {"action": "c2pa.cropped", "softwareAgent": {"name": "Photoshop", "version": "26.0"}}]}}]})
    out = io.BytesIO()
    builder.sign(signer, "image/jpeg", io.BytesIO(source.getvalue()), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed() -> bytes:
    return signed_jpeg()


def test_a_signed_picture_is_read_and_validated(tmp_path: Path, signed: bytes) -> None:
    path = tmp_path / "flag.jpg"
    path.write_bytes(signed)
    found = read_credentials(path, "image/jpeg")
    assert found is not None
    assert (found["state"], found["signatureValid"], found["hashBindingsValid"]) == ("valid", True, True)
    assert found["trusted"] is False  # no trust list: untrusted, which alone does not invalidate it
    assert found["signer"]["commonName"] == "Kazinform Photo Desk" and found["signer"]["issuer"] == "Kazinform"
    assert found["signer"]["algorithm"].lower() == "es256"
    assert found["claimGenerator"] == "Kazinform Photo Desk 1.0" and found["title"] == "flag.jpg"
    assert [(a["action"], a["digitalSourceType"], a["softwareAgent"]) for a in found["actions"]] == [
        ("c2pa.created", CAPTURE, None), ("c2pa.cropped", None, "Photoshop 26.0")]
    assert found["failures"] == [] and found["manifests"] == 1
    assert found["manifestStore"]["active_manifest"] in found["manifestStore"]["manifests"]
    assert "manifestStore" not in public(found)


def test_one_changed_byte_makes_it_invalid(tmp_path: Path, signed: bytes) -> None:
    tampered = bytearray(signed)
    tampered[-200] ^= 0xFF  # inside the picture's data, well after the manifest
    path = tmp_path / "tampered.jpg"
    path.write_bytes(bytes(tampered))
    found = read_credentials(path, "image/jpeg")
    assert found is not None and found["state"] == "invalid"
    assert found["hashBindingsValid"] is False and found["signatureValid"] is True  # the claim itself is intact
    assert "assertion.dataHash.mismatch" in {f["code"] for f in found["failures"]}


def test_a_file_without_a_manifest_has_none(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    Image.new("RGB", (32, 32)).save(path, "JPEG")
    assert read_credentials(path, "image/jpeg") is None
    assert read_credentials(path, "text/plain") is None  # a type that cannot carry one


def test_a_garbled_manifest_is_reported_invalid_not_raised(tmp_path: Path, signed: bytes) -> None:
    start = signed.index(b"jumb")  # the JUMBF box of the manifest store
    garbled = bytearray(signed)
    for offset in range(start + 40, start + 240):
        garbled[offset] ^= 0x5A
    path = tmp_path / "garbled.jpg"
    path.write_bytes(bytes(garbled))
    found = read_credentials(path, "image/jpeg")
    assert found is not None and found["state"] == "invalid"


@pytest.mark.anyio
async def test_the_item_api_shows_the_provenance_of_its_media(client, make_partner, engine: Engine,
                                                             settings: Settings, signed: bytes) -> None:
    kazinform = make_partner("kazinform")
    answer = await client.post("/api/v1/media", headers=kazinform.headers,
                               files={"file": ("flag.jpg", signed, "image/jpeg")})
    assert answer.status_code == 201, answer.text
    item_id = answer.json()["id"]
    assert JobWorker(engine, media_handlers(engine, blob_store(settings), settings), name="t").run_once_sync() \
        == [State.DONE]
    item = (await client.get(f"/api/v1/items/{item_id}", headers=kazinform.headers)).json()
    [entry] = item["hub"]["media"]
    assert entry["c2pa"]["state"] == "valid" and entry["c2pa"]["signer"]["commonName"] == "Kazinform Photo Desk"
    assert "manifestStore" not in entry["c2pa"]
    with reading(engine) as conn:
        row = conn.execute(sa.select(media.c.id, media.c.sha256, media.c.c2pa)).one()
    assert entry["id"] == row.id
    assert row.sha256 == hashlib.sha256(signed).hexdigest()  # the original kept as signed, manifest and all
    assert row.c2pa["manifestStore"]["manifests"]  # the whole store kept for operators
    assert "c2pa" not in str(item["renditions"])  # the ninjs renditions stay IPTC's closed object
