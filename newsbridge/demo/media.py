"""Demo media, made when the demo is built (nothing downloaded): a short video report from Silk Way TV
with its shot list, and a photo from Kazinform carrying IPTC metadata as a photo desk sends it.

The video is ffmpeg's colour bars and a tone (``testsrc``, ``sine``), the photo a picture Pillow
draws with caption, creator, credit, copyright, keywords and place written by pyexiv2. Both go the
way a partner's upload goes: stored in the blob store, probed, their derivatives made by the media
job (run here at once, so the demo desk shows thumbnails and plays the proxy from the start), then
published as items whose renditions name the media. The photo's item takes its caption, creator,
copyright and place from the file's own metadata, as read by ``media/metadata.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import get_organization
from newsbridge.config import Settings
from newsbridge.db.engine import reading
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.media.blobs import blob_store
from newsbridge.media.links import MEDIA_URN, link_media
from newsbridge.media.metadata import read_photo_metadata
from newsbridge.media.processing import media_worker
from newsbridge.media.uploads import store_media
from newsbridge.vocab.mediatopics import topic_subject

CULTURE, ECONOMY = "medtop:20000038", "medtop:04000000"
VIDEO_SECONDS = 10
SHOT_LIST = [("00:00:00", "Wide shot: the caravan leaves the caravanserai in Turkistan at dawn"),
             ("00:00:03", "Close-up: the lead camel's bell"),
             ("00:00:06", "Interview: the expedition's guide on the old trade route (in Kazakh)"),
             ("00:00:09", "Aerial: the caravan crosses the steppe towards the Iranian border")]
PHOTO_IPTC = {"caption": "Grain is loaded onto a freight train bound for Iran at the Altynkol dry port.",
              "creator": "Aigerim Nurlanova", "credit": "Kazinform", "copyright": "© Kazinform 2026",
              "keywords": ["grain", "export", "rail freight", "Iran"], "city": "Khorgos", "country": "Kazakhstan"}


def _video(path: Path) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-hide_banner", "-v", "error",
                    "-f", "lavfi", "-i", f"testsrc2=size=854x480:rate=25:duration={VIDEO_SECONDS}",
                    "-f", "lavfi", "-i", f"sine=frequency=330:beep_factor=4:duration={VIDEO_SECONDS}",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    "-movflags", "+faststart", str(path)], check=True, timeout=120, stdin=subprocess.DEVNULL)
    return path


def _photo(path: Path) -> Path:
    """A drawn scene (sky, steppe, a train of wagons) with the IPTC a photo desk writes."""
    import pyexiv2
    from PIL import Image, ImageDraw

    width, height = 1600, 1000
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # evening sky over the steppe
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(70 + 150 * t), int(120 + 80 * t), int(190 - 60 * t))
                  if y < 620 else (int(150 - 40 * t), int(130 - 30 * t), 70))
    draw.ellipse([1180, 140, 1320, 280], fill=(250, 214, 120))
    for i in range(7):  # wagons and the locomotive
        x = 80 + i * 215
        draw.rectangle([x, 520, x + 200, 640], fill=(140, 40, 30) if i else (30, 70, 120))
        for wheel in (x + 35, x + 165):
            draw.ellipse([wheel - 22, 625, wheel + 22, 669], fill=(30, 30, 30))
    draw.rectangle([0, 665, width, 680], fill=(90, 80, 70))
    image.save(path, quality=88)
    with pyexiv2.Image(str(path)) as tagged:
        tagged.modify_iptc({"Iptc.Application2.Caption": PHOTO_IPTC["caption"],
                            "Iptc.Application2.Byline": [PHOTO_IPTC["creator"]],
                            "Iptc.Application2.Credit": PHOTO_IPTC["credit"],
                            "Iptc.Application2.Copyright": PHOTO_IPTC["copyright"],
                            "Iptc.Application2.Keywords": PHOTO_IPTC["keywords"],
                            "Iptc.Application2.City": PHOTO_IPTC["city"],
                            "Iptc.Application2.CountryName": PHOTO_IPTC["country"]})
        tagged.modify_xmp({"Xmp.dc.description": {'lang="x-default"': PHOTO_IPTC["caption"]},
                           "Xmp.photoshop.Credit": PHOTO_IPTC["credit"]})
    return path


def _publish(engine: Engine, ingestor: Ingestor, slug: str, doc: dict[str, Any], media_id: str) -> str:
    with reading(engine) as conn:
        org = get_organization(conn, slug)
    doc["renditions"] = [{"name": "original", "href": MEDIA_URN + media_id}]
    link_media(engine, org, doc["uri"], {media_id})
    return ingestor.ingest_ninjs(org, json.dumps(doc, ensure_ascii=False).encode()).item_id


def load_demo_media(engine: Engine, ingestor: Ingestor, settings: Settings) -> list[tuple[str, str, str]]:
    """Make, store, process and publish the demo media; (organization, item id, what) of each item.
    Without Debian's ffmpeg the video is left out (the photo needs only Pillow and pyexiv2)."""
    store = blob_store(settings)
    made: list[tuple[str, str, str]] = []
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="newsbridge-demo-media-") as work:
        root = Path(work)
        photo = _photo(root / "altynkol-grain-train.jpg")
        with reading(engine) as conn:
            kazinform, silk = get_organization(conn, "kazinform"), get_organization(conn, "silk-way-tv")
        picture = store_media(engine, store, kazinform.id, photo, "image/jpeg", photo.name)
        video = None
        if shutil.which("ffmpeg"):
            clip = _video(root / "caravan-report.mp4")
            video = store_media(engine, store, silk.id, clip, "video/mp4", clip.name)
        worker = media_worker(engine, settings)
        while worker.run_once_sync():  # the derivative jobs, now: the demo desk shows previews from the start
            pass
        meta = read_photo_metadata(photo)
    when = (now - timedelta(hours=2)).isoformat()
    made.append(("kazinform", _publish(engine, ingestor, "kazinform", {
        "uri": "urn:kazinform:demo:photo:grain-train", "version": "1", "type": "picture", "language": "en",
        "firstCreated": when, "versionCreated": when,
        "headlines": [{"role": "main", "value": "Kazakh grain leaves Altynkol for Iran by rail"}],
        "descriptions": [{"role": "caption", "contentType": "text/plain", "value": meta.caption}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": meta.caption}],
        "by": ", ".join(meta.creators), "copyrightNotice": meta.copyright,
        "located": ", ".join(p for p in (meta.city, meta.country) if p),
        "infoSources": [{"name": meta.credit, "role": "credit"}] if meta.credit else [],
        "subjects": [topic_subject(ECONOMY)]}, picture.id), "photo with IPTC metadata"))
    if video is not None:
        when = (now - timedelta(hours=1)).isoformat()
        made.append(("silk-way-tv", _publish(engine, ingestor, "silk-way-tv", {
            "uri": "urn:silkway:demo:video:caravan", "version": "1", "type": "video", "language": "en",
            "firstCreated": when, "versionCreated": when,
            "headlines": [{"role": "main", "value": "Silk Road caravan sets out from Turkistan for Mashhad"}],
            "descriptions": [{"role": "main", "contentType": "text/plain",
                              "value": "A caravan of 40 camels retraces the Great Silk Road to Iran."}],
            "bodies": [{"role": "main", "contentType": "text/plain",
                        "value": "A caravan of 40 camels retraces the Great Silk Road to Iran."},
                       {"role": "shotlist", "contentType": "text/plain",
                        "value": "\n".join(f"{time} {text}" for time, text in SHOT_LIST)},
                       {"role": "script", "contentType": "text/plain",
                        "value": "The caravan left Turkistan at dawn. Over three weeks it will cross the steppe "
                                 "and the Karakum desert, as traders did for centuries, and reach Mashhad "
                                 "for the Kazakhstan–Iran media week."}],
            "by": "Silk Way TV camera crew", "copyrightNotice": "© Silk Way TV 2026",
            "infoSources": [{"name": "Silk Way TV", "role": "credit"}],
            "subjects": [topic_subject(CULTURE)]}, video.id), "video report with a shot list"))
    return made
