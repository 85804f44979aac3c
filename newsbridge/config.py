"""Settings, declared once as data and read from ``NEWSBRIDGE_*`` environment variables.

``SETTINGS`` is the single list of what can be configured; ``newsbridge config`` prints it
and ``docs/configuration.md`` documents it (a test keeps the two in step).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from newsbridge.errors import InvalidInput


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "NEWSBRIDGE_" + self.name.upper()


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", str, "sqlite:///./var/newsbridge.db",
            "SQLAlchemy URL of the database: a SQLite file (default) or postgresql+psycopg://...", secret=True),
    Setting("host", str, "127.0.0.1", "Address `newsbridge serve` listens on."),
    Setting("port", int, 8000, "Port `newsbridge serve` listens on."),
    Setting("keepalive_seconds", int, 65,
            "How long `newsbridge serve` keeps an idle HTTP connection open for the client's next request."),
    Setting("max_body_bytes", int, 5_000_000, "Largest request body accepted; larger ones get 413 payload_too_large."),
    Setting("languages", _csv, ("en", "ru", "kk", "fa", "uk", "be", "mn", "ar", "tr"),
            "ISO 639-1 codes the language detector chooses among (more languages cost memory)."),
    Setting("language_accuracy", _choice("high", "low"), "low",
            "lingua accuracy mode: `low` (~32 MB resident with the default languages) or `high` "
            "(~310 MB; better only on texts of a few words)."),
    Setting("allow_private_targets", _csv, (),
            "CIDRs of private addresses webhooks, feed polling and SSO directories may reach (e.g. 10.0.0.0/8); "
            "none by default."),
    Setting("in_process_worker", _bool, True,
            "Run the delivery worker inside `newsbridge serve` (set false when `newsbridge worker` runs apart)."),
    Setting("story_worker", _bool, True,
            "Compute embeddings, near-duplicates and same-story clusters in the background (docs/stories.md)."),
    Setting("search_vectors", int, 200_000,
            "Item vectors each `newsbridge serve` keeps in memory for cross-lingual search (1.5 KB each); past it "
            "the oldest items are found by their words only (docs/search.md)."),
    Setting("webhook_timeout_seconds", float, 10.0, "How long a partner's endpoint may take to answer."),
    Setting("webhook_lease_seconds", float, 60.0,
            "How long a worker holds the webhook messages it claimed; a crashed worker's are sent by another "
            "after it. Must exceed the webhook timeout (the worker claims smaller batches to fit)."),
    Setting("webhook_endpoint_in_flight", int, 8,
            "Messages one partner endpoint may have on their way at once (one while it is failing, as a probe), "
            "so a slow or silent partner holds a few of a worker's sends, never all of them."),
    Setting("public_url", str, "", "The hub's public base URL for links in feeds (default: http://HOST:PORT)."),
    Setting("translator_url", str, "",
            "Base URL of a LibreTranslate-compatible machine translation service for the desk (none: off)."),
    Setting("translator_api_key", str, "", "API key for that service, if it needs one.", secret=True),
    Setting("translator", _choice("libretranslate", "deepl", "ctranslate2"), "libretranslate",
            "Which API the translator URL speaks: `libretranslate` (self-hosted) or `deepl` (DeepL's API); "
            "or `ctranslate2`: local models in NEWSBRIDGE_TRANSLATOR_MODEL_DIR, no URL."),
    Setting("translator_model_dir", str, "",
            "With NEWSBRIDGE_TRANSLATOR=ctranslate2: the directory of CTranslate2 models, one sub-directory per "
            "language pair (`ru-en/`) or one `nllb/` (docs/translation.md)."),
    Setting("smtp_url", str, "",
            "SMTP server for e-mail alert digests: smtp://host:25, smtp+starttls://user:password@host:587 or "
            "smtps://host:465 (none: no mail).", secret=True),
    Setting("mail_from", str, "Newsbridge <newsbridge@localhost>", "Sender address of the hub's e-mail."),
    Setting("log_level", str, "INFO", "Python log level of the hub's structured logs."),
    Setting("log_format", _choice("json", "text"), "json", "`json` (one object a line) or `text` logs."),
    Setting("media_max_pixels", int, 100_000_000,
            "Largest picture (width x height) the hub decodes; larger ones are refused as decompression bombs."),
    Setting("media_ffmpeg_threads", int, 2, "Threads each ffmpeg run may use for media derivatives."),
    Setting("media_jobs_at_once", int, 1, "Media jobs (derivatives) one worker runs at the same time."),
    Setting("media_dir", str, "./var/media",
            "Where the filesystem blob store keeps media (and where tus uploads are assembled with any store)."),
    Setting("s3_endpoint", str, "",
            "URL of an S3-compatible service (SeaweedFS, MinIO, ...); empty with a bucket set: AWS S3."),
    Setting("s3_bucket", str, "",
            "Bucket of the S3 blob store; set it to keep media in S3 instead of NEWSBRIDGE_MEDIA_DIR."),
    Setting("s3_access_key", str, "", "Access key id for the S3 blob store.", secret=True),
    Setting("s3_secret_key", str, "", "Secret access key for the S3 blob store.", secret=True),
    Setting("s3_region", str, "us-east-1", "Region of the S3 blob store."),
    Setting("max_media_bytes", int, 20 * 1024 ** 3,
            "Largest media file an organization may upload (tus or multipart); larger ones get 413."),
    Setting("upload_expiry_hours", float, 24.0,
            "How long an unfinished tus upload is kept after its last write before its partial file is deleted."),
    Setting("media_url_secret", str, "",
            "HMAC key of signed media URLs (empty: one is generated and kept in the database).", secret=True),
    Setting("media_url_ttl", int, 86_400, "Seconds a signed media URL stays valid (default 24 h)."),
    Setting("media_ready_wait_seconds", int, 600,
            "Seconds feeds and webhooks hold back an item whose media is still being processed (0: never)."),
    Setting("rate_publish_per_minute", int, 600,
            "Writes an API key may make with its publish scope (items, uploads, media, drafts) per minute; 0: no limit."),
    Setting("rate_writes_per_ip_per_minute", int, 1200,
            "Write requests to the API one client address may send per minute, whatever the key; 0: no limit."),
    Setting("retention_delivered_days", int, 90,
            "`newsbridge purge` deletes webhook messages delivered longer ago than this (0: keep them all); "
            "failed and dead ones, which the metrics count, are kept."),
    Setting("retention_sessions_days", int, 7,
            "`newsbridge purge` deletes desk sessions that expired longer ago than this."),
    Setting("retention_polls_days", int, 30,
            "`newsbridge purge` deletes source poll records older than this (each source keeps its newest)."),
    Setting("retention_audit_days", int, 0,
            "`newsbridge purge` deletes audit-log entries older than this; 0 (the default): the log is kept for ever."),
)


@dataclass(frozen=True)
class Settings:
    database_url: str
    host: str
    port: int
    keepalive_seconds: int
    max_body_bytes: int
    languages: tuple[str, ...]
    language_accuracy: str
    allow_private_targets: tuple[str, ...]
    in_process_worker: bool
    story_worker: bool
    search_vectors: int
    webhook_timeout_seconds: float
    webhook_lease_seconds: float
    webhook_endpoint_in_flight: int
    public_url: str
    translator_url: str
    translator_api_key: str
    translator: str
    translator_model_dir: str
    smtp_url: str
    mail_from: str
    log_level: str
    log_format: str
    media_max_pixels: int
    media_ffmpeg_threads: int
    media_jobs_at_once: int
    media_dir: str
    s3_endpoint: str
    s3_bucket: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    max_media_bytes: int
    upload_expiry_hours: float
    media_url_secret: str
    media_url_ttl: int
    media_ready_wait_seconds: int
    rate_publish_per_minute: int
    rate_writes_per_ip_per_minute: int
    retention_delivered_days: int
    retention_sessions_days: int
    retention_polls_days: int
    retention_audit_days: int

    def replace(self, **changes: Any) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every declared setting from ``env`` (default ``os.environ``), then apply overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.type(raw)
        except ValueError as exc:
            raise InvalidInput(f"{setting.env}={raw!r} is not valid: {exc}", field=setting.env) from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values["webhook_lease_seconds"] <= values["webhook_timeout_seconds"]:
        raise InvalidInput("NEWSBRIDGE_WEBHOOK_LEASE_SECONDS must be longer than NEWSBRIDGE_WEBHOOK_TIMEOUT_SECONDS, "
                           "or another worker would send a message that is still on its way",
                           field="NEWSBRIDGE_WEBHOOK_LEASE_SECONDS")
    if values["translator"] == "ctranslate2":
        _check_model_dir(values["translator_model_dir"])
    return Settings(**values)


def _check_model_dir(path: str) -> None:
    """The local translator's settings, checked at start: a directory that is there, and the packages."""
    field = "NEWSBRIDGE_TRANSLATOR_MODEL_DIR"
    if not path:
        raise InvalidInput("NEWSBRIDGE_TRANSLATOR=ctranslate2 needs NEWSBRIDGE_TRANSLATOR_MODEL_DIR: the directory "
                           "of its models (docs/translation.md)", field=field)
    if not os.path.isdir(path):
        raise InvalidInput(f"{field}={path!r} is not a directory: convert the models into it first "
                           "(docs/translation.md)", field=field)
    missing = [name for name in ("ctranslate2", "sentencepiece") if importlib.util.find_spec(name) is None]
    if missing:
        raise InvalidInput(f"NEWSBRIDGE_TRANSLATOR=ctranslate2 needs {' and '.join(missing)}: "
                           "pip install 'newsbridge[translate-local]'", field="NEWSBRIDGE_TRANSLATOR")


def mask_url(url: str) -> str:
    """Hide the password of a database URL (``postgresql://u:***@host/db``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(environment variable, effective value with secrets masked, help) for each setting."""
    rows = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if isinstance(value, tuple):
            shown = ",".join(value)
        elif isinstance(value, bool):
            shown = str(value).lower()
        else:
            shown = str(value)
        if setting.secret:
            shown = mask_url(shown) if "://" in shown else ("***" if shown else "")
        rows.append((setting.env, shown, setting.help))
    return rows


def base_url(settings: Settings) -> str:
    """Where partners reach this hub (for links in feeds)."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
