"""The one error tree of Newsbridge.

Every error a user can meet is a :class:`NewsbridgeError` with an HTTP status, a stable
machine ``code`` (documented in ``docs/errors.md``; partners' scripts match on it), a human
``message`` that says what to do, and the ``field`` it concerns when there is one. The API
turns them into ``{"error": {"code", "message", "field"}}``; the CLI prints the message.
Raising never logs.
"""

from __future__ import annotations


class NewsbridgeError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidInput(NewsbridgeError):
    """The request or file is readable but its content is wrong."""

    status = 422
    code = "invalid"


class MalformedInput(NewsbridgeError):
    """The bytes cannot be read at all (broken JSON, bad UTF-8, broken XML)."""

    status = 400
    code = "malformed"


class SchemaViolation(InvalidInput):
    code = "schema_violation"


class HtmlTooComplex(InvalidInput):
    """HTML the hub will not sanitize: too large, nested too deep, or built to make the parser
    re-open elements without end (the message says which limit and what to do)."""

    code = "html_too_complex"


class UnknownFormat(NewsbridgeError):
    status = 415
    code = "unknown_format"


class PayloadTooLarge(NewsbridgeError):
    status = 413
    code = "payload_too_large"


class Unauthenticated(NewsbridgeError):
    status = 401
    code = "unauthenticated"


class Forbidden(NewsbridgeError):
    status = 403
    code = "forbidden"


class NotFound(NewsbridgeError):
    """Also the answer for things that exist but the caller may not see: no leaks."""

    status = 404
    code = "not_found"


class Conflict(NewsbridgeError):
    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class RevisionChanged(Conflict):
    """The agreement's terms changed since the caller read them: read them again, then act."""

    code = "revision_changed"


class PickupNotDetected(Conflict):
    """Only a detected pickup is confirmed or dismissed: a declared one is its picker's own record."""

    code = "pickup_not_detected"


class DraftConflict(Conflict):
    """A joint project's draft was saved by someone else since the revision the writer started from.

    The answer carries what the writer needs to decide without reading again: both texts, who
    changed the draft and when, and a three-way merge proposal (projects/drafts.py)."""

    code = "draft_conflict"

    def __init__(self, message: str, details: dict[str, object]) -> None:
        super().__init__(message, field="base_revision")
        self.details = details

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "conflict": self.details}


class MediaUnreadable(InvalidInput):
    """A media file no decoder opens: empty, truncated, corrupt, or in no format the hub reads."""

    code = "media_unreadable"


class MediaTypeMismatch(NewsbridgeError):
    """The bytes are another kind of file than the content type declared for them."""

    status = 415
    code = "media_type_mismatch"


class MediaTooLarge(NewsbridgeError):
    """A decompression bomb: decoding would need more pixels (or pixel-seconds) than the hub allows."""

    status = 413
    code = "media_too_large"


class MediaUnsafe(InvalidInput):
    """A graphic (SVG) that would run scripts or load anything from outside itself."""

    code = "media_unsafe"


class ChecksumMismatch(NewsbridgeError):
    """A tus PATCH whose bytes do not hash to its ``Upload-Checksum``: nothing of it was kept.
    460 is the status the tus checksum extension gives this."""

    status = 460
    code = "checksum_mismatch"


class TusVersionUnsupported(NewsbridgeError):
    status = 412
    code = "tus_version_unsupported"


class StorageUnavailable(NewsbridgeError):
    """The blob store (S3) did not answer or refused a write; nothing was half-stored, try again."""

    status = 503
    code = "storage_unavailable"


class TranslationFailed(NewsbridgeError):
    """The translation service (NEWSBRIDGE_TRANSLATOR_URL) failed or answered something else."""

    status = 502
    code = "translation_failed"


class TranslationUnavailable(TranslationFailed):
    """No model for this language pair in the local translator (NEWSBRIDGE_TRANSLATOR_MODEL_DIR)."""

    status = 422
    code = "translation_unavailable"


class TranslationNotAllowed(Forbidden):
    """The agreement an item came under forbids translating it."""

    code = "translation_not_allowed"


class TranslatorNotConfigured(NewsbridgeError):
    status = 503
    code = "translator_not_configured"


class LinkExpired(Forbidden):
    code = "link_expired"


class LinkInvalid(Forbidden):
    code = "link_invalid"


# Every code the API can answer with, for the docs check and for partners.
ERROR_CODES: dict[str, str] = {
    "backup_unsupported": "`newsbridge backup`/`restore` handle SQLite; PostgreSQL uses pg_dump/pg_restore.",
    "restore_refused": "The restore would replace a hub's data without --force, or the backup does not check out.",
    "bad_request": "The request could not be understood; the message says why.",
    "invalid": "A field has a wrong value; `field` names it.",
    "malformed": "The body is not valid JSON / UTF-8 / XML, is nested too deeply, or holds a lone surrogate or NUL.",
    "schema_violation": "The ninjs document does not validate against the IPTC schema; `field` is the JSON path.",
    "html_too_complex": "An HTML field is over 1,000,000 characters, nests elements over 256 deep or leaves "
                        "formatting elements open without end; `field` names it, the message says what to do.",
    "unknown_format": "An upload is in none of the formats the hub reads; the message lists them.",
    "payload_too_large": "The body is larger than NEWSBRIDGE_MAX_BODY_BYTES.",
    "unauthenticated": "No API key, or an unknown or revoked one, in `Authorization: Bearer <key>`.",
    "forbidden": "The key is valid but lacks the scope this call needs.",
    "not_found": "No such thing, or nothing the caller may see.",
    "conflict": "The request conflicts with the current state.",
    "version_conflict": "An item version older than (or equal to, with other content) the newest stored one.",
    "already_exists": "Something with this identifier exists already.",
    "revision_changed": "An agreement's terms changed since the revision the caller read; read them again, then act.",
    "draft_conflict": "A joint project's draft changed since your base_revision; the answer carries both texts, who "
                      "changed it and when, and a three-way merge proposal.",
    "pickup_not_detected": "Only a detected pickup is confirmed or dismissed; a declared one is its picker's own record.",
    "sign_in_required": "A desk page was opened without a session; browsers are sent to /login (never an API answer).",
    "translation_failed": "The configured translation service did not answer with a translation; try later.",
    "translation_unavailable": "The hub's local translator has no model for this language pair (or the item has no "
                               "language); the message names the pair.",
    "translation_not_allowed": "The agreement the item came under does not allow translating it.",
    "translator_not_configured": "No machine translation service is configured on this hub "
                                 "(NEWSBRIDGE_TRANSLATOR_URL).",
    "mail_not_sent": "The SMTP server (NEWSBRIDGE_SMTP_URL) refused an e-mail or could not be reached.",
    "organization_suspended": "The hub operator suspended the calling organization: its keys, feeds, sessions and "
                              "publishing stop until it is reactivated; contact the hub operator (status 403).",
    "last_admin": "The organization's last active admin cannot be demoted or deactivated; make another admin first.",
    "sso_refused": "A sign-in through the organization's directory (OpenID Connect) was refused: the address is "
                   "outside its domains, has no account, is deactivated, or the directory's answer did not verify.",
    "directory_unavailable": "The organization's OpenID Connect directory could not be reached, or its configuration "
                             "or keys are not valid (status 502).",
    "rate_limited": "Too many requests from this API key or address this minute; wait Retry-After seconds.",
    "too_many_attempts": "Sign-in paused for this e-mail from this address after failures; wait (Retry-After).",
    "media_unreadable": "A media file is empty, truncated or corrupt, or in no format the hub reads.",
    "media_type_mismatch": "A media file's bytes are not of the content type declared for it.",
    "media_too_large": "A picture over NEWSBRIDGE_MEDIA_MAX_PIXELS, or a video over the frame size, duration "
                       "or pixel-seconds the hub decodes (a decompression bomb).",
    "media_unsafe": "An SVG graphic with scripts, event handlers or references outside itself.",
    "checksum_mismatch": "A tus PATCH's bytes do not match its Upload-Checksum (status 460); the offset is unchanged, "
                         "send the chunk again.",
    "tus_version_unsupported": "The request's Tus-Resumable is not 1.0.0 (status 412).",
    "storage_unavailable": "The media store (S3) could not be reached or refused a write; nothing was half-stored, "
                           "try again (uploads resume where they stopped).",
    "busy": "The database stayed locked by other writes (or had no free connection) past the hub's wait (status "
            "503); nothing was written: send the same request again after Retry-After seconds.",
    "link_expired": "A signed media URL is past its expiry; read the item again for a fresh one.",
    "link_invalid": "A media URL's signature does not match (altered, or signed for another organization).",
    "method_not_allowed": "The path exists but not with this HTTP method.",
    "internal": "A bug on our side; the request id in the response lets operators find it.",
}
