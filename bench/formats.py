"""Format parsing: NewsML-G2 and ninjs to Items, against a bare parse of the same bytes, in one run.

Generates N news items, the same wire-style en/ru/kk/fa items as ``bench/ingest.py`` (headline,
3–6 paragraphs, 1–2 Media Topics, located, dates), adds a byline, urgency and rights, and writes
every item twice:

* as a NewsML-G2 newsItem. Half are written the way an agency sends them: derived from IPTC's
  LISTING 1 (the shared fixture) by substituting values, with an XHTML body in ``inlineXML``.
  They keep the listing's service, signal, link and contentModified, which the reader must name
  as unmapped. The other half are written by the hub's own ``to_newsml`` (an XHTML body, plus
  the text as ``inlineData`` when the item has a plain-text body).
* as a ninjs 3.x document, written by ``to_ninjs3`` (half declare ``standard``).

Then it times, in rounds (the best round of each path counts), taking turns 250 documents at a time:

* NewsML-G2: ours, ``parse_newsml`` on each document's bytes (the safety checks, the parse, the
  mapping to an Item, the body's inner markup), and apart, ``parse_xml`` alone (the safety
  checks and the parse), so the mapping's share shows; the baseline, lxml's bare
  ``etree.fromstring`` of the same bytes with a safe parser
  (``XMLParser(resolve_entities=False, no_network=True)``, built once), which maps nothing;
* ninjs: ours, ``parse_ninjs`` (UTF-8 decode, IPTC 3.1 schema validation, mapping); the
  baseline, ``json.loads`` of the same bytes;
* NITF: each item also written as an NITF 3.x document the way AP and EFE send them (docdata,
  hedline, byline, dateline, paragraphs in a ``block``); ours, ``parse_nitf``; the baseline,
  lxml's bare parse of the same bytes;
* with ``--previous REF``, the NewsML-G2 reader as it was at git ``REF`` (loaded from
  ``git show REF:newsbridge/formats/newsml_g2.py``) on the same documents, so the lenient
  reader's cost shows against the one it replaced (the documents are clean: both accept them).

Every Item read is checked against the item it was written from. Target: ``parse_newsml`` at
least 0.3 x lxml's bare parse, and so should the NITF reader (issue 12); the ninjs ratio is shown beside them,
with no target.

    .venv/bin/python bench/formats.py [-n 5000] [--rounds 3] [--seed 2026] [--previous REF] [--profile] [--check]
        [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import pstats
import random
import subprocess
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from time import perf_counter, thread_time
from typing import Any

from wire_items import BYLINES, Generated, generate  # the wire items the benchmarks share
from lxml import etree
from rich.console import Console
from rich.table import Table

from newsbridge.formats.item import Item
from newsbridge.formats.newsml_g2 import FORMAT_NAME, MEDTOP, NAR, parse_newsml, to_newsml
from newsbridge.formats.ninjs import parse_ninjs, to_ninjs3
from newsbridge.formats.nitf import parse_nitf
from newsbridge.formats.xml_safety import parse_xml, xhtml_document

TARGET_RATIO = 0.3
FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "newsml-g2" / \
    "LISTING_1_A_NewsML-G2_News_Item.xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HOLDERS = {"en": "Bench Wire Ltd", "ru": "ИА «Бенч»", "kk": "«Бенч» ақпарат агенттігі", "fa": "خبرگزاری بنچ"}
USAGE_TERMS = ("Not for use outside Central Asia", "For subscribers only; no archiving",
               "Free for editorial use with credit", "Not for resale to third parties")
EMBARGO_SHARE = 0.1
CHUNK = 250  # documents a path parses before the next path's turn
# (part of the file path, function names) of the stages the profile reports.
PROFILE_STAGES = {
    "newsbridge/formats/newsml_g2.py": ("parse_newsml", "read", "report", "one", "all", "_local", "_elements",
                                        "_text", "_name", "_concept", "subjects", "content", "_inline_xml",
                                        "time", "coded", "pick", "located", "__init__"),
    "newsbridge/formats/xml_safety.py": ("parse_xml", "check_doctype", "utf8_view", "_parser", "inner_markup"),
}


def q(name: str) -> str:
    return f"{{{NAR}}}{name}"


@dataclass(frozen=True)
class Source:
    """One generated item, as the Item both formats are written from, and how its NewsML was written."""

    generated: Generated
    item: Item
    agency: bool  # NewsML-G2 derived from IPTC's LISTING 1, else written by to_newsml


def to_item(g: Generated, rng: random.Random) -> Item:
    holder = HOLDERS[g.language]
    return Item(
        uri=g.uri, version=str(rng.randint(1, 4)), firstcreated=g.created,
        versioncreated=g.created + timedelta(minutes=rng.randint(1, 90)),
        embargoed=g.created + timedelta(hours=2) if rng.random() < EMBARGO_SHARE else None,
        language=g.language, headline=g.headline,
        body_html=g.body if g.html else None, body_text=None if g.html else g.body,
        byline=BYLINES[g.language], located=g.located, urgency=rng.randint(3, 8),
        subjects=[{"uri": MEDTOP + code, "name": name, "rel": "about"} for code, name in g.subjects],
        copyrightholder=holder, copyrightnotice=f"Copyright {g.created.year} {holder}, all rights reserved",
        usageterms=rng.choice(USAGE_TERMS),
    )


def agency_newsml(item: Item, g: Generated, template: etree._Element) -> bytes:
    """``item`` as a newsItem shaped like IPTC's LISTING 1: the listing with the item's values put in."""
    root = copy.deepcopy(template)
    root.set("guid", item.uri or "")
    root.set("version", item.version or "1")
    root.set(XML_LANG, item.language or "")
    rights = root.find(q("rightsInfo"))
    rights.find(f"{q('copyrightHolder')}/{q('name')}").text = item.copyrightholder
    rights.find(q("copyrightNotice")).text = item.copyrightnotice
    rights.find(q("usageTerms")).text = item.usageterms
    meta = root.find(q("itemMeta"))
    meta.find(q("versionCreated")).text = item.versioncreated.isoformat()
    meta.find(q("firstCreated")).text = item.firstcreated.isoformat()
    if item.embargoed is None:  # the listing's edNote is about its embargo
        meta.remove(meta.find(q("embargoed")))
        meta.remove(meta.find(q("edNote")))
    else:
        meta.find(q("embargoed")).text = item.embargoed.isoformat()
    cm = root.find(q("contentMeta"))
    cm.find(q("contentCreated")).text = g.created.isoformat()
    cm.find(q("contentModified")).text = item.versioncreated.isoformat()
    located = cm.find(q("located"))
    name = located.find(q("name"))
    for broader in located.findall(q("broader")):  # the listing's Berlin, Germany would be wrong here
        name.tail = broader.tail
        located.remove(broader)
    name.text = item.located
    cm.find(f"{q('creator')}/{q('name')}").text = item.byline
    subjects = cm.findall(q("subject"))
    anchor = subjects[0].getprevious()
    for old in subjects:
        cm.remove(old)
    for subject in reversed(item.subjects):  # after the listing's infoSource, in order
        el = etree.Element(q("subject"), type="cpnat:abstract", qcode="medtop:" + subject["uri"].removeprefix(MEDTOP))
        el.text, el.tail = anchor.tail + "    ", anchor.tail  # indented like the listing
        label = etree.SubElement(el, q("name"), {XML_LANG: "en"})
        label.text, label.tail = subject["name"], anchor.tail
        anchor.addnext(el)
    cm.find(q("slugline")).text = f"BENCH-{g.uri.rsplit(':', 1)[-1]}"
    cm.find(q("headline")).text = item.headline
    inline = root.find(f"{q('contentSet')}/{q('inlineXML')}")
    tail = inline.tail
    inline.clear()  # drops the listing's NITF content type and its comments
    inline.set("contenttype", "application/xhtml+xml")
    inline.tail = tail
    inline.append(xhtml_document(item.headline or "", html=None, text="\n\n".join(g.paragraphs)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def nitf_document(item: Item, g: Generated) -> bytes:
    """``item`` as NITF 3.x, shaped like AP's and EFE's: docdata, hedline, byline, dateline, a block of paragraphs."""
    root = etree.Element("nitf", version="-//IPTC//DTD NITF 3.4//EN", baselang=item.language or "")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = item.headline
    docdata = etree.SubElement(head, "docdata", {"management-status": "usable"})
    etree.SubElement(docdata, "doc-id", {"id-string": item.uri or "", "regsrc": "BENCH"})
    etree.SubElement(docdata, "urgency", {"ed-urg": str(item.urgency)})
    etree.SubElement(docdata, "date.issue", norm=item.firstcreated.strftime("%Y%m%dT%H%M%S%z"))  # type: ignore[union-attr]
    etree.SubElement(docdata, "doc.copyright", holder=item.copyrightholder or "", year=str(g.created.year))
    tobject = etree.SubElement(head, "tobject", {"tobject.type": "News"})
    for subject in item.subjects:
        etree.SubElement(tobject, "tobject.subject", {"tobject.subject.ipr": "IPTC",
                                                      "tobject.subject.refnum": subject["uri"][-8:],
                                                      "tobject.subject.type": subject["name"]})
    body = etree.SubElement(root, "body")
    bhead = etree.SubElement(body, "body.head")
    etree.SubElement(etree.SubElement(bhead, "hedline"), "hl1").text = item.headline
    byline = etree.SubElement(bhead, "byline")
    byline.text = item.byline
    etree.SubElement(byline, "byttl").text = "Staff Writer"
    etree.SubElement(etree.SubElement(bhead, "dateline"), "location").text = item.located
    block = etree.SubElement(etree.SubElement(body, "body.content"), "block", id="Main")
    for paragraph in g.paragraphs:
        etree.SubElement(block, "p").text = paragraph
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def previous_reader(ref: str) -> Callable[[bytes], Any]:
    """``parse_newsml`` as it was at git ``ref``, loaded as a module of its own."""
    source = subprocess.run(["git", "show", f"{ref}:newsbridge/formats/newsml_g2.py"], check=True,
                            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]).stdout
    module = types.ModuleType("newsml_g2_previous")
    exec(compile(source, f"{ref}:newsml_g2.py", "exec"), module.__dict__)  # our own history, not input
    return module.parse_newsml  # type: ignore[no-any-return]


def build(count: int, seed: int) -> tuple[list[Source], list[bytes], list[bytes]]:
    """The items, their NewsML-G2 documents and their ninjs documents, reproducible for ``seed``."""
    rng = random.Random(seed + 2)
    template = etree.parse(str(FIXTURE), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    sources = [Source(g, to_item(g, rng), agency=index % 2 == 0) for index, g in enumerate(generate(count, seed))]
    newsml = [agency_newsml(s.item, s.generated, template) if s.agency else to_newsml(s.item) for s in sources]
    ninjs = []
    for s in sources:
        doc = to_ninjs3(s.item)
        if rng.random() < 0.5:
            doc["standard"] = {"name": "ninjs", "version": "3.1"}
        ninjs.append(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    return sources, newsml, ninjs


def check(source: Source, got: Item, fmt: str) -> None:
    """``got``, read from ``fmt``, says what ``source`` was written with; stops the benchmark if not."""
    want = source.item
    same = ("uri", "version", "firstcreated", "versioncreated", "embargoed", "language", "headline", "byline",
            "located", "copyrightholder", "copyrightnotice", "usageterms")
    if fmt == "ninjs" or not source.agency:
        same += ("urgency",)  # the listing has no urgency
    for name in same:
        assert getattr(got, name) == getattr(want, name), (fmt, want.uri, name, getattr(got, name))
    assert [s["uri"] for s in got.subjects] == [s["uri"] for s in want.subjects], (fmt, want.uri, got.subjects)
    if fmt == "ninjs":
        assert (got.body_html, got.body_text) == (want.body_html, want.body_text), (fmt, want.uri)
        return
    paragraphs = source.generated.paragraphs
    assert got.body_html and got.body_html.count("<p>") == len(paragraphs) and paragraphs[-1][-20:] in got.body_html, \
        (fmt, want.uri, got.body_html)
    assert got.body_text == (None if source.agency else want.body_text), (fmt, want.uri, got.body_text)
    partial = got.extra.get("representationType") == "partial"
    assert partial == source.agency, (fmt, want.uri, got.extra)  # the listing's extras are named, ours are not


CLOCKS = {"wall": perf_counter, "cpu": thread_time}
clock = perf_counter  # --clock cpu: this thread's CPU time, which other processes' load does not inflate


def timed(parse: Callable[[bytes], Any], documents: Sequence[bytes]) -> float:
    started = clock()
    for data in documents:
        parse(data)
    return clock() - started


def measure(rounds: int, paths: dict[str, tuple[Callable[[bytes], Any], Sequence[bytes]]]) -> dict[str, list[float]]:
    """Every path's seconds per round.

    Within a round the paths take turns, CHUNK documents each, in an order that rotates: load
    on this shared machine drifts within seconds, and this way a burst falls on every path alike.
    """
    names = list(paths)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    count = max(len(documents) for _parse, documents in paths.values())
    for round_ in range(rounds):
        spent = dict.fromkeys(names, 0.0)
        for turn, start in enumerate(range(0, count, CHUNK)):
            shift = (round_ + turn) % len(names)
            for name in names[shift:] + names[:shift]:
                parse, documents = paths[name]
                spent[name] += timed(parse, documents[start:start + CHUNK])
        for name in names:
            seconds[name].append(spent[name])
    return seconds


def profile_newsml(documents: Sequence[bytes], console: Console) -> None:
    """Run parse_newsml under cProfile and print where the time goes."""
    profiler = cProfile.Profile()
    profiler.enable()
    started = perf_counter()
    for data in documents:
        parse_newsml(data)
    total = perf_counter() - started
    profiler.disable()
    stats = pstats.Stats(profiler)
    console.rule("[bold]profile of parse_newsml (cProfile; timings inflated by the profiler)")
    console.print(f"profiled run: {total:.2f} s for {len(documents):,} documents")
    table = Table("function", "calls", "calls/doc", "own s", "cumulative s", "share of run")
    rows = []
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (path, line, name), (_cc, calls, own, cumulative, _callers) in entries:
        if any(where in path and name in names for where, names in PROFILE_STAGES.items()):
            rows.append((f"{name} ({Path(path).name}:{line})", calls, own, cumulative))
    for label, calls, own, cumulative in sorted(rows, key=lambda row: -row[3]):
        table.add_row(label, f"{calls:,}", f"{calls / len(documents):.1f}", f"{own:.2f}", f"{cumulative:.2f}",
                      f"{cumulative / total:.0%}")
    console.print(table)
    console.print("[bold]top 20 by own time[/bold]")
    stats.sort_stats("tottime").print_stats(20)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=5_000, help="how many items (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts (default 3)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generated items")
    parser.add_argument("--profile", action="store_true", help="also run parse_newsml under cProfile")
    parser.add_argument("--previous", metavar="REF", help="also time the NewsML-G2 reader of this git revision")
    parser.add_argument("--check", action="store_true", help="exit 1 when the NewsML-G2 target is missed")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="wall time (default) or this thread's CPU time, for a machine other work is loading")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    console = Console() if sys.stdout.isatty() else Console(width=140)

    started = perf_counter()
    sources, newsml, ninjs = build(args.items, args.seed)
    n = len(sources)
    console.print(f"generated {n:,} items in {perf_counter() - started:.1f} s: NewsML-G2 "
                  f"{sum(map(len, newsml)) / n / 1024:.1f} KiB a document on average "
                  f"({sum(s.agency for s in sources):,} from IPTC's LISTING 1, "
                  f"{sum(not s.agency for s in sources):,} by to_newsml), "
                  f"ninjs {sum(map(len, ninjs)) / n / 1024:.1f} KiB")

    nitf = [nitf_document(s.item, s.generated) for s in sources]
    previous = previous_reader(args.previous) if args.previous else None
    # Read everything once, untimed: compiles the ninjs schema validator and checks every Item.
    for source, xml_bytes, json_bytes, nitf_bytes in zip(sources, newsml, ninjs, nitf, strict=True):
        items = parse_newsml(xml_bytes)
        assert len(items) == 1, (source.item.uri, len(items))
        check(source, items[0], "newsml-g2")
        check(source, parse_ninjs(json_bytes), "ninjs")
        [read] = parse_nitf(nitf_bytes)
        want = source.item
        assert (read.uri, read.headline, read.byline, read.located, read.urgency, read.language) == (
            want.uri, want.headline, want.byline, want.located, want.urgency, want.language), (want.uri, read)
        assert read.firstcreated == want.firstcreated.replace(microsecond=0), (want.uri, read.firstcreated)  # type: ignore[union-attr]
        assert read.body_html and read.body_html.count("<p>") == len(source.generated.paragraphs), want.uri
        if previous is not None:
            assert [i.headline for i in previous(xml_bytes)] == [items[0].headline]

    safe = etree.XMLParser(resolve_entities=False, no_network=True)
    gc.collect()  # the generated data's garbage is not the parsers' to collect
    seconds = measure(args.rounds, {
        "parse_newsml": (parse_newsml, newsml),
        "parse_xml": (lambda data: parse_xml(data, format=FORMAT_NAME), newsml),
        "etree.fromstring": (lambda data: etree.fromstring(data, safe), newsml),
        "parse_ninjs": (parse_ninjs, ninjs),
        "json.loads": (json.loads, ninjs),
        "parse_nitf": (parse_nitf, nitf),
        "etree.fromstring nitf": (lambda data: etree.fromstring(data, safe), nitf),
        **({"previous parse_newsml": (previous, newsml)} if previous is not None else {}),
    })
    best = {name: min(values) for name, values in seconds.items()}

    console.print(f"[bold]format parsing, {n:,} items[/bold], best of {args.rounds} rounds ({args.clock} clock)")
    table = Table("path", "best s", "all rounds s", "items/s", "µs/item", "MiB/s")
    labels = {"parse_newsml": "ours: parse_newsml (NewsML-G2 → Item)",
              "parse_xml": "  of which parse_xml (safety checks + parse)",
              "etree.fromstring": "baseline: lxml etree.fromstring (same bytes)",
              "parse_ninjs": "ours: parse_ninjs (ninjs 3.x → Item)",
              "json.loads": "baseline: json.loads (same bytes)",
              "parse_nitf": "ours: parse_nitf (NITF 3.x → Item)",
              "etree.fromstring nitf": "baseline: lxml etree.fromstring (same NITF bytes)"}
    if previous is not None:
        labels["previous parse_newsml"] = f"previous: parse_newsml at {args.previous} (same NewsML-G2 bytes)"
    for name, label in labels.items():
        size = sum(map(len, ninjs if name in ("parse_ninjs", "json.loads") else
                       nitf if "nitf" in name else newsml))
        table.add_row(label, f"{best[name]:.3f}", " / ".join(f"{s:.3f}" for s in seconds[name]),
                      f"{n / best[name]:,.0f}", f"{best[name] / n * 1e6:.1f}", f"{size / best[name] / 2**20:.1f}")
        if name == "parse_xml":
            mapping = best["parse_newsml"] - best["parse_xml"]
            table.add_row("  of which mapping to an Item (the difference)", f"{mapping:.3f}", "", "",
                          f"{mapping / n * 1e6:.1f}", "")
    console.print(table)
    console.print(f"every document read back as the item it was written from ({n:,} NewsML-G2, {n:,} ninjs)")
    newsml_ratio = best["etree.fromstring"] / best["parse_newsml"]
    ninjs_ratio = best["json.loads"] / best["parse_ninjs"]
    met = newsml_ratio >= TARGET_RATIO
    console.print(f"ratio parse_newsml/lxml: [bold]{newsml_ratio:.2f}[/bold] (target >= {TARGET_RATIO}): "
                  + ("[green]met[/green]" if met else "[red]missed[/red]"))
    console.print(f"ratio parse_ninjs/json.loads: [bold]{ninjs_ratio:.2f}[/bold] (no target)")
    nitf_ratio = best["etree.fromstring nitf"] / best["parse_nitf"]
    console.print(f"ratio parse_nitf/lxml: [bold]{nitf_ratio:.2f}[/bold] (target >= {TARGET_RATIO}, issue 12): "
                  + ("[green]met[/green]" if nitf_ratio >= TARGET_RATIO else "[red]missed[/red]"))
    if previous is not None:
        console.print(f"lenient parse_newsml / the one at {args.previous}: [bold]"
                      f"{best['parse_newsml'] / best['previous parse_newsml']:.2f}[/bold] x the time")

    if args.profile:
        profile_newsml(newsml, console)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
