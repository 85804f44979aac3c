"""Run Superdesk's own feed parsers on files and print what they read, as JSON.

This script runs ONLY inside the separate test-client virtual environment that
``tests/interop/superdesk_env.py`` builds (``.venv-superdesk/``, superdesk-core 2.5.3, AGPL):
Newsbridge never imports Superdesk. The parser modules (``superdesk/io/feed_parsers/__init__.py``,
``ninjs.py``, ``newsml_2_0.py``) and the helpers they use for dates and tags (``superdesk/utc.py``,
``superdesk/etree.py``, ``superdesk/metadata/utils.py``) run unchanged. What they reach of a running
Superdesk app (the Flask app and its config, the resource services, the registry, the error
classes that pull in Eve and Elasticsearch) is replaced by the small stand-ins below: a parser
that reads a file never needs a server.

    .venv-superdesk/bin/python tests/interop/superdesk_runner.py ninjs FILE...
    .venv-superdesk/bin/python tests/interop/superdesk_runner.py newsml2 FILE...

prints ``[{"file": ..., "items": [...]}, ...]`` (a parser error: ``{"file", "error"}``).
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path

# IPTC Subject Codes by code, as Superdesk's app.subjects has them (the NewsML-G2 parser keeps a subj:
# subject only when the app knows its code): loaded from Superdesk's own data, as superdesk/io/iptc.py does.
SUBJECTS: dict[str, str] = {}


def _module(name: str, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _install_stand_ins() -> None:
    spec = importlib.util.find_spec("superdesk")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("superdesk-core is not installed in this environment")
    root = Path(list(spec.submodule_search_locations)[0])

    class Config(dict):  # Flask config: a dict; Superdesk's own config module: attributes
        def __getattr__(self, name: str) -> object:
            try:
                return self[name]
            except KeyError:
                raise AttributeError(name) from None

    # superdesk/default_settings.py's values (the module itself reads the environment and more)
    config = Config(QCODE_MISSING_VOC="continue", HTML_TAGS_WHITELIST=(
        "h1", "h2", "h3", "h4", "h6", "blockquote", "pre", "figure", "ul", "ol", "li", "div", "p", "em", "strong",
        "i", "b"))
    SUBJECTS.update(json.loads((root / "io" / "data" / "subject_codes.json").read_text("utf-8")))
    app = types.SimpleNamespace(config=config, subjects=SUBJECTS,
                                locators=types.SimpleNamespace(find_cities=lambda **_: []))
    _module("flask", current_app=app)

    class ParserError(Exception):
        @classmethod
        def newsmlTwoParserError(cls, exc: Exception, provider: object = None) -> "ParserError":  # noqa: N802
            return cls(f"NewsML-G2 parser error: {exc!r}")

        @classmethod
        def parseMessageError(cls, exc: Exception, provider: object = None, data: object = None) -> "ParserError":  # noqa: N802
            return cls(f"parser error: {exc!r}")

    class SkipValue(Exception):
        pass

    # package shells: the real directories, without the __init__ that starts the whole app
    for name, path in (("superdesk", root), ("superdesk.io", root / "io"), ("superdesk.metadata", root / "metadata")):
        _module(name, __path__=[str(path)])
    sys.modules["superdesk"].__dict__.update(config=config, app=app, get_resource_service=_no_services)
    _module("superdesk.errors", ParserError=ParserError, SkipValue=SkipValue)
    _module("superdesk.io.registry", register_feed_parser=lambda name, parser: None)
    _module("superdesk.utils", SuperdeskBaseEnum=enum.Enum)

    class ContentTypes(types.SimpleNamespace):
        pass

    class Priority(enum.Enum):
        Flash = 1
        Urgent = 2
        Three_Paragraph = 3
        Screen_Finance = 4
        Continuous_News = 5
        Ordinary = 6

    _module("superdesk.metadata.item", ITEM_TYPE="type", GUID_TAG="tag", GUID_FIELD="guid", GUID_NEWSML="newsml",
            CONTENT_TYPE=ContentTypes(TEXT="text", PREFORMATTED="preformatted", AUDIO="audio", VIDEO="video",
                                      PICTURE="picture", GRAPHIC="graphic", COMPOSITE="composite", EVENT="event"),
            Priority=Priority)
    # superdesk/etree.py uses lxml.html.clean as an attribute, loaded in a running Superdesk by other modules
    importlib.import_module("lxml.html.clean")
    sys.modules["superdesk"].etree = importlib.import_module("superdesk.etree")  # type: ignore[attr-defined]
    # The parsers' base classes, run as written up to the imports that register every other parser
    # (registration by import side effects would pull in parsers these tests do not use).
    parsers = root / "io" / "feed_parsers"
    source = (parsers / "__init__.py").read_text("utf-8").split("# must be imported for registration")[0]
    base = _module("superdesk.io.feed_parsers", __path__=[str(parsers)], __file__=str(parsers / "__init__.py"))
    exec(compile(source, str(parsers / "__init__.py"), "exec"), base.__dict__)  # noqa: S102


def _no_services(name: str) -> object:
    raise LookupError(f"this stand-in has no Superdesk services ({name}); the parser asked for one")


def _plain(value: object) -> object:
    """JSON-ready: datetimes as ISO text (with their zone), enums by value."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def main(argv: list[str]) -> int:
    kind, *files = argv
    _install_stand_ins()
    from lxml import etree

    if kind == "ninjs":
        from superdesk.io.feed_parsers.ninjs import NINJSFeedParser

        parser: object = NINJSFeedParser()
    elif kind == "newsml2":
        from superdesk.io.feed_parsers.newsml_2_0 import NewsMLTwoFeedParser

        parser = NewsMLTwoFeedParser()
    else:
        raise SystemExit(f"unknown parser {kind!r}: ninjs or newsml2")
    out = []
    for name in files:
        try:
            if kind == "ninjs":
                assert parser.can_parse(name), "NINJSFeedParser.can_parse refused the file"  # type: ignore[attr-defined]
                items = parser.parse(name)  # type: ignore[attr-defined]
            else:
                xml = etree.fromstring(Path(name).read_bytes())
                assert parser.can_parse(xml), "NewsMLTwoFeedParser.can_parse refused the file"  # type: ignore[attr-defined]
                items = parser.parse(xml)  # type: ignore[attr-defined]
            out.append({"file": name, "items": _plain(items)})
        except Exception as exc:  # reported per file: the test names the file and the error
            out.append({"file": name, "error": f"{type(exc).__name__}: {exc}"})
    json.dump(out, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
