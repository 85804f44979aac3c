"""C2PA content credentials: read and validate the manifest a media file carries (``c2pa-python``).

A photo or video may carry a C2PA manifest store: signed claims of who made it, with which tool,
and what was done to it (created by a camera, cropped, colour-adjusted, made by a generative
model), bound to the file's bytes by hashes. The derivative job reads it from the original (never
altered) with :func:`read_credentials`, which validates the claim signature, the signing
certificate and every hash binding, and sums it up in the shape docs/media.md gives
(:func:`summary`): what partners see under ``hub.media[].c2pa``. The whole manifest store as the SDK
reads it is kept beside the summary in ``media.c2pa`` (key ``manifestStore``) for operators.

The SDK never goes to the network here: no remote manifests, no OCSP (a media file must not make the
hub call a URL it names). Trust in a signer is a separate question from validity: without a trust
list every certificate is "untrusted", which does not make a manifest invalid (``trusted: false``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from newsbridge.ids import utcnow

log = logging.getLogger(__name__)
UNTRUSTED = "signingCredential.untrusted"
_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
_SUPPORTED: frozenset[str] | None = None


def _sdk() -> Any:
    import c2pa  # a native library: loaded on first use, not at import of the media package

    return c2pa


def supported(content_type: str) -> bool:
    """Whether the SDK reads manifests from files of this type."""
    global _SUPPORTED
    if _SUPPORTED is None:
        _SUPPORTED = frozenset(t.lower() for t in _sdk().Reader.get_supported_mime_types())
    return content_type.split(";", 1)[0].strip().lower() in _SUPPORTED


def read_credentials(path: Path, content_type: str) -> dict[str, Any] | None:
    """The file's C2PA credentials, validated and summed up (with the manifest store under
    ``manifestStore``); None when the file carries none or its type cannot carry one. A manifest the
    SDK cannot parse is reported as invalid, not raised: a broken manifest is a finding."""
    if not supported(content_type):
        return None
    c2pa = _sdk()
    context = c2pa.Context(c2pa.Settings.from_dict(_SETTINGS))
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader(content_type.split(";", 1)[0].strip().lower(), stream, context=context)
            try:
                store = json.loads(reader.json())
            finally:
                reader.close()
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in str(exc):
            return None
        log.info("C2PA manifest unreadable", extra={"error": str(exc)[:300]})
        return {**broken(str(exc)), "manifestStore": None}
    return {**summary(store), "manifestStore": store}


def broken(reason: str) -> dict[str, Any]:
    """The summary of a manifest store the SDK could not read."""
    return {"state": "invalid", "signatureValid": False, "hashBindingsValid": False, "trusted": False,
            "signer": None, "claimGenerator": None, "title": None, "actions": [], "ingredients": [],
            "failures": [{"code": "manifest.unreadable", "explanation": reason[:500]}], "manifests": 0,
            "readAt": utcnow().isoformat()}


def _codes(results: dict[str, Any], kind: str) -> list[dict[str, str]]:
    return [{"code": str(e.get("code")), "explanation": str(e.get("explanation") or "")}
            for e in results.get(kind) or [] if isinstance(e, dict)]


def _agent(value: Any) -> str | None:
    if isinstance(value, dict):
        return " ".join(str(value[k]) for k in ("name", "version") if value.get(k)) or None
    return str(value) if value else None


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        return _agent(info[0])
    return manifest.get("claim_generator") or None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if isinstance(action, dict) and action.get("action"):
                found.append({"action": str(action["action"]), "when": action.get("when"),
                              "softwareAgent": _agent(action.get("softwareAgent")),
                              "digitalSourceType": action.get("digitalSourceType")})
    return found


def summary(store: dict[str, Any]) -> dict[str, Any]:
    """What partners see of a manifest store (docs/media.md, "C2PA content credentials"): the active
    manifest's signer, generator, actions and ingredients, and whether its signature and hash
    bindings validate."""
    manifests = store.get("manifests") or {}
    manifest = manifests.get(store.get("active_manifest") or "") or {}
    results = (store.get("validation_results") or {}).get("activeManifest")
    if isinstance(results, dict):
        failures, successes = _codes(results, "failure"), _codes(results, "success")
    else:  # an SDK that reports only the flat list: every entry in it is a failure
        failures = [{"code": str(e.get("code")), "explanation": str(e.get("explanation") or "")}
                    for e in store.get("validation_status") or [] if isinstance(e, dict)]
        successes = []
    codes = {f["code"] for f in failures}
    signature_valid = bool(manifest) and not any(
        c.startswith(("claimSignature.", "signingCredential.", "timeStamp.")) and c != UNTRUSTED for c in codes)
    hashes_valid = bool(manifest) and not any(c.startswith(("assertion.", "manifest.", "claim.")) for c in codes)
    real_failures = [f for f in failures if f["code"] != UNTRUSTED]
    signature = manifest.get("signature_info") or {}
    signer = {"commonName": signature.get("common_name"), "issuer": signature.get("issuer"),
              "algorithm": signature.get("alg"), "serialNumber": signature.get("cert_serial_number"),
              "signedAt": signature.get("time")} if signature else None
    return {
        "state": "valid" if signature_valid and hashes_valid and not real_failures else "invalid",
        "signatureValid": signature_valid,
        "hashBindingsValid": hashes_valid,
        "trusted": UNTRUSTED not in codes and any(s["code"] == "signingCredential.trusted" for s in successes),
        "signer": signer,
        "claimGenerator": _generator(manifest),
        "title": manifest.get("title"),
        "actions": _actions(manifest),
        "ingredients": [{"title": i.get("title"), "relationship": i.get("relationship")}
                        for i in manifest.get("ingredients") or [] if isinstance(i, dict)],
        "failures": real_failures,
        "manifests": len(manifests),
        "readAt": utcnow().isoformat(),
    }


def public(credentials: dict[str, Any] | None) -> dict[str, Any] | None:
    """The summary partners see (the manifest store itself stays with the operators)."""
    if credentials is None:
        return None
    return {k: v for k, v in credentials.items() if k != "manifestStore"}
