"""Photo metadata: IPTC, XMP and EXIF read into item fields; GPS seen, to be kept out of derivatives."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from newsbridge.media.metadata import PhotoMetadata, read_photo_metadata, write_photo_metadata
from tests.media.samples import tagged_photo


def test_reads_iptc_xmp_and_exif(tmp_path: Path) -> None:
    meta = read_photo_metadata(tagged_photo(tmp_path / "flood.jpg"))
    assert meta.caption == "Rescuers evacuate residents in Oral"  # XMP before the legacy IIM record
    assert meta.creators == ("Aigerim N.",)  # only in IPTC: the fallback
    assert meta.credit == "Kazinform / A. N."
    assert meta.copyright == "(c) Kazinform 2024"
    assert meta.keywords == ("flood", "Ural")
    assert (meta.city, meta.country) == ("Oral", "Kazakhstan")
    assert meta.date_taken == "2024-04-08"
    assert meta.gps["Exif.GPSInfo.GPSLatitude"] == "51/1 14/1 0/1"


def test_ninjs_fields() -> None:
    meta = PhotoMetadata(caption="Caption", creators=("A", "B"), credit="Kazinform", copyright="(c) K",
                         keywords=("flood",), city="Oral", country="Kazakhstan", date_taken="2024-04-08T09:15:00")
    assert meta.ninjs_fields() == {
        "descriptions": [{"role": "main", "value": "Caption"}], "by": "A, B",
        "infoSources": [{"name": "Kazinform", "role": "credit"}], "copyrightNotice": "(c) K",
        "subjects": [{"name": "flood", "literal": "flood", "rel": "keyword"}], "located": "Oral, Kazakhstan"}
    assert PhotoMetadata(country="Kazakhstan").ninjs_fields() == {"located": "Kazakhstan"}


def test_exif_date_when_nothing_else_says(tmp_path: Path) -> None:
    import pyexiv2

    path = tmp_path / "camera.jpg"
    Image.new("RGB", (32, 32)).save(path)
    with pyexiv2.Image(str(path)) as image:
        image.modify_exif({"Exif.Photo.DateTimeOriginal": "2024:05:01 10:11:12", "Exif.Image.Artist": "Cam Op"})
    meta = read_photo_metadata(path)
    assert (meta.date_taken, meta.creators, meta.gps) == ("2024-05-01T10:11:12", ("Cam Op",), {})


def test_a_photo_without_metadata_reads_empty(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(path)
    assert read_photo_metadata(path) == PhotoMetadata()
    assert read_photo_metadata(path).ninjs_fields() == {}


def test_written_back_without_gps_unless_allowed(tmp_path: Path) -> None:
    import pyexiv2

    meta = read_photo_metadata(tagged_photo(tmp_path / "flood.jpg"))
    for keep_gps in (False, True):
        copy = tmp_path / f"copy-{keep_gps}.jpg"
        Image.new("RGB", (16, 16)).save(copy)
        write_photo_metadata(copy, meta, keep_gps=keep_gps)
        again = read_photo_metadata(copy)
        assert (again.caption, again.credit, again.keywords) == (meta.caption, meta.credit, meta.keywords)
        with pyexiv2.Image(str(copy)) as image:
            has_gps = any(k.startswith("Exif.GPSInfo") for k in image.read_exif())
        assert has_gps is keep_gps
