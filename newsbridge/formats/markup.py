"""HTML from partners made safe to show, within bounds that keep sanitizing cheap.

:func:`clean_html` is the one sanitizer of the hub (nh3: an allow-list of tags and attributes,
no scripts, handlers or ``javascript:`` links). Ingest applies it to every HTML field of an item
and every output that shows HTML applies it again, so a stored document that predates a rule
never reaches a reader raw. :func:`clean_html_fields` walks a ninjs-shaped value (bodies,
descriptions, headlines, associations, anything nested) and sanitizes every ``value`` whose
``contentType`` is HTML.

nh3's HTML5 tree builder is quadratic in two places: every start and end tag scans the stack of
open elements (``"<div>" * 20_000`` costs a second), and formatting elements (``<b>``, ``<em>``,
...) closed by their parent are re-opened ("reconstructed") at every later paragraph, so
``<p><em title="10 kB">x</p>`` followed by ``<p>x</p>`` thousands of times grows a 26 kB body
into 20 MB. :func:`check_html` follows the HTML5 tokenizer and a conservative model of the tree
builder (a linear pass, ~0.3 ms for a 20 kB article) and refuses markup larger than
:data:`MAX_HTML_CHARS`, nested deeper than :data:`MAX_DEPTH`, with more than
:data:`MAX_ACTIVE_FORMATTING` formatting elements left open, or whose reconstructions would
write more than :data:`MAX_RECONSTRUCTED_CHARS`. The model over-counts rather than under-counts:
where it cannot follow the tokenizer (markup inside ``<script>``/``<style>`` once SVG or MathML
appeared; a script that nests ``<!--<script>``) it refuses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import nh3

MAX_HTML_CHARS = 1_000_000  # a long article is 20-200 kB of HTML
MAX_DEPTH = 256  # real articles stay under 30; nh3's cost per tag grows with depth
MAX_ACTIVE_FORMATTING = 24  # HTML5 keeps at most 3 identical ones; articles have a handful
MAX_RECONSTRUCTED_CHARS = 1_000_000  # start tags the parser would re-open, summed
HTML_TYPES = ("text/html", "application/xhtml+xml")

ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "q", "cite",
    "strong", "em", "b", "i", "u", "s", "sub", "sup", "small", "mark", "abbr", "span", "div",
    "a", "figure", "figcaption", "img", "table", "thead", "tbody", "tr", "th", "td", "caption", "hr", "pre", "code",
}
# nh3 drops dir and lang by default; right-to-left content needs them.
ALLOWED_ATTRIBUTES = {
    "*": {"dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


class MarkupTooComplex(ValueError):
    """Markup refused before sanitizing: too large, too deep, or built to make the parser re-open
    elements without end. The message says which limit and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_html(content_type: object) -> bool:
    """True for HTML and XHTML media types, whatever their case and parameters (``text/html; charset=utf-8``)."""
    return isinstance(content_type, str) and content_type.split(";")[0].strip().lower() in HTML_TYPES


# --- the HTML5 tokenizer, as far as structure goes ------------------------------------------
_WS = "\t\n\f\r "
_TOKEN = re.compile(r"""
    <!--(?:-?>|.*?(?:--!?>|\Z))                         # comment: <!--> and <!---> end at once
  | <(/?)([A-Za-z][^\t\n\f\r />]*+)[^"'>]*+>             # a tag without quotes ends at the first >
  | <(/?)([A-Za-z][^\t\n\f\r />]*+)                     # else: start or end tag and its name ...
    (?:[\t\n\f\r /]*+[^\t\n\f\r />][^\t\n\f\r />=]*+     # ... attributes, quoted as HTML5 quotes them
       (?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?+)*+
    [\t\n\f\r /]*+(?:>|\Z)
  | <(?:![^>]*+|\?[^>]*+|/[^A-Za-z>][^>]*+|/)(?:>|\Z)     # doctype, bogus comment, </>
""", re.S | re.X)
_TAG_LIKE = re.compile(r"</?[A-Za-z]")
_RAWTEXT = {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
_RAWTEXT_END = {name: re.compile(rf"</{name}(?=[\t\n\f\r />]|\Z)", re.I) for name in _RAWTEXT}

# --- the tree builder's vocabulary (WHATWG HTML, "parsing HTML documents") --------------------
_VOID = {"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img", "input",
         "keygen", "link", "meta", "param", "source", "track", "wbr"}
_FORMATTING = {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
_MARKERS = {"applet", "caption", "marquee", "object", "td", "th", "template"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CLOSES_P = {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
             "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p",
             "search", "section", "summary", "ul", "pre", "listing", "form", "li", "dd", "dt", "plaintext",
             "xmp"} | _HEADINGS
_BLOCK_END = {"address", "article", "aside", "blockquote", "button", "center", "details", "dialog", "dir", "div",
              "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "listing", "main", "menu",
              "nav", "ol", "pre", "search", "section", "summary", "ul", "form", "applet", "marquee", "object",
              "dd", "dt"}
_TABLE_PARTS = {"td", "th", "tr", "tbody", "thead", "tfoot", "table", "caption", "colgroup"}
_SPECIAL = {"address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote", "body",
            "br", "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt",
            "embed", "fieldset", "figcaption", "figure", "footer", "form", "frame", "frameset", "head", "header",
            "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link", "listing", "main",
            "marquee", "menu", "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param",
            "plaintext", "pre", "script", "search", "section", "select", "source", "style", "summary", "table",
            "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul", "wbr",
            "xmp", "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc"} | _HEADINGS
_SCOPE = {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "mi", "mo", "mn",
          "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title"}
# names with a rule of their own; the others are "any other start tag" (span, abbr, unknown ones...)
_HANDLED = _CLOSES_P | _TABLE_PARTS | _FORMATTING | _VOID | _RAWTEXT | _MARKERS | {"option", "optgroup", "svg", "math"}



class _Formatting:
    """An entry of the list of active formatting elements (a marker when ``name`` is empty)."""

    __slots__ = ("name", "key", "weight", "on_stack", "active")

    def __init__(self, name: str, key: str, weight: int) -> None:
        self.name, self.key, self.weight = name, key, weight
        self.on_stack, self.active = True, True


_MARKER = _Formatting("", "", 0)


class _Model:
    """The stack of open elements and the active formatting elements, as an upper bound.

    Positions of each name on the stack, of special elements and of scope boundaries are kept
    so every question the tree builder asks ("is there a p in button scope?") costs O(1)
    here: the pass stays linear even where the real parser is not.
    """

    def __init__(self) -> None:
        self.stack: list[str | _Formatting] = []
        self.where: defaultdict[str, list[int]] = defaultdict(list)
        self.special: list[int] = [-1]
        self.special_strict: list[int] = [-1]  # special but not address, div, p (the li/dd/dt rule)
        self.scope: list[int] = [-1]
        self.active: list[_Formatting] = []
        self.keys: defaultdict[str, int] = defaultdict(int)  # active entries by start tag
        self.orphans = 0  # active formatting elements no longer on the stack: re-opened at the next text
        self.reconstructed = 0

    # the stack
    def push(self, name: str, entry: _Formatting | None = None) -> None:
        index = len(self.stack)
        if index >= MAX_DEPTH:
            raise MarkupTooComplex(f"the HTML nests elements more than {MAX_DEPTH} deep; flatten the markup "
                                   "(or send the text as text/plain)")
        self.stack.append(entry if entry is not None else name)
        self.where[name].append(index)
        if name in _SPECIAL:
            self.special.append(index)
            if name not in ("address", "div", "p"):
                self.special_strict.append(index)
        if name in _SCOPE:
            self.scope.append(index)

    def pop_to(self, index: int) -> None:
        """Pop elements until the one at ``index`` is popped."""
        while len(self.stack) > index:
            top = self.stack.pop()
            name = top if isinstance(top, str) else top.name
            self.where[name].pop()
            if self.special[-1] == len(self.stack):
                self.special.pop()
            if self.special_strict[-1] == len(self.stack):
                self.special_strict.pop()
            if self.scope[-1] == len(self.stack):
                self.scope.pop()
            if isinstance(top, _Formatting):
                if top.on_stack and top.active:
                    self.orphans += 1
                top.on_stack = False
            elif name in _MARKERS:
                self.clear_to_marker()

    def top(self, name: str) -> int:
        found = self.where.get(name)
        return found[-1] if found else -1

    def in_scope(self, name: str, *extra: str) -> int:
        """The index of the topmost ``name`` if no scope boundary (or ``extra``) is above it, else -1."""
        index = self.top(name)
        if index < 0:
            return -1
        bound = max(self.scope[-1], *(self.top(e) for e in extra)) if extra else self.scope[-1]
        return index if index > bound or (index == bound and name in _SCOPE) else -1

    # the active formatting elements
    def clear_to_marker(self) -> None:
        while self.active:
            entry = self.active.pop()
            if entry is _MARKER:
                return
            self.deactivate(entry)

    def deactivate(self, entry: _Formatting) -> None:
        if entry.active:
            self.keys[entry.key] -= 1
            if not entry.on_stack:
                self.orphans -= 1
        entry.active = False

    def remove_active(self, entry: _Formatting) -> None:
        self.active.remove(entry)
        self.deactivate(entry)

    def find_active(self, name: str) -> _Formatting | None:
        for entry in reversed(self.active):
            if entry is _MARKER:
                return None
            if entry.name == name:
                return entry
        return None

    def open_formatting(self, name: str, tag: str) -> None:
        key = tag.lower()
        if self.keys[key] >= 3:  # HTML5's "Noah's Ark": a fourth identical one drops the earliest
            same = [e for e in self.after_marker() if e.key == key]
            if len(same) >= 3:
                self.remove_active(same[0])
        entry = _Formatting(name, key, len(tag))
        self.keys[key] += 1
        self.push(name, entry)
        self.active.append(entry)
        if len(self.active) > MAX_ACTIVE_FORMATTING:
            raise MarkupTooComplex(f"the HTML leaves more than {MAX_ACTIVE_FORMATTING} formatting elements "
                                   "(b, i, em, font, ...) open; close each one where it ends")

    def after_marker(self) -> list[_Formatting]:
        out = []
        for entry in reversed(self.active):
            if entry is _MARKER:
                break
            out.append(entry)
        return out[::-1]

    def reconstruct(self) -> None:
        """Text or an inline element re-opens every active formatting element its parent closed."""
        if not self.orphans:
            return
        for position, entry in enumerate(self.active):
            if entry is not _MARKER and not entry.on_stack:
                self.reconstructed += entry.weight
                again = _Formatting(entry.name, entry.key, entry.weight)
                entry.active = False  # replaced in place: the key count stays
                self.active[position] = again
                self.push(entry.name, again)
        self.orphans = 0
        if self.reconstructed > MAX_RECONSTRUCTED_CHARS:
            raise MarkupTooComplex("the HTML leaves formatting elements (b, i, em, font, ...) open across "
                                   "paragraphs so often that sanitizing would re-open them millions of times; "
                                   "close each one inside the paragraph where it starts")

    # tokens
    def start(self, name: str, tag: str) -> None:
        if name in _CLOSES_P:
            if (p := self.in_scope("p", "button")) >= 0:
                self.pop_to(p)
            if name in _HEADINGS and self.stack and self.name_at(-1) in _HEADINGS:
                self.pop_to(len(self.stack) - 1)
            elif name == "li" or name in ("dd", "dt"):
                names = ("li",) if name == "li" else ("dd", "dt")
                index = max(self.top(n) for n in names)
                if index > self.special_strict[-1]:
                    self.pop_to(index)
        elif name in _TABLE_PARTS:
            bound = max(self.top("table"), self.top("template"), self.top("html"))
            same = {"td": ("td", "th"), "th": ("td", "th"), "tr": ("tr",), "tbody": ("tbody", "thead", "tfoot"),
                    "thead": ("tbody", "thead", "tfoot"), "tfoot": ("tbody", "thead", "tfoot")}.get(name, ())
            index = max((self.top(n) for n in same), default=-1)
            if index > bound:
                self.pop_to(index)
        elif name in ("option", "optgroup"):
            while self.stack and self.name_at(-1) in ("option", "optgroup") and (
                    name == "optgroup" or self.name_at(-1) == "option"):
                self.pop_to(len(self.stack) - 1)
            self.reconstruct()
        else:
            self.reconstruct()
        if name in _VOID:
            return
        if name in _FORMATTING:
            if name in ("a", "nobr") and self.find_active(name) is not None:
                self.end(name)  # a second <a> closes the first
            self.open_formatting(name, tag)
            return
        self.push(name)
        if name in _MARKERS:
            self.active.append(_MARKER)

    def name_at(self, index: int) -> str:
        top = self.stack[index]
        return top if isinstance(top, str) else top.name

    def end(self, name: str) -> None:
        if name in _FORMATTING and (entry := self.find_active(name)) is not None:
            if not entry.on_stack:
                self.remove_active(entry)
                return
            index = self.top(name)
            if self.special[-1] > index:
                # the adoption agency: the element moves below the special one (which it now wraps
                # from inside) and stays active; counted as closed here and re-opened at the next text
                self.reconstructed += entry.weight
                entry.on_stack = False
                self.orphans += 1
                return
            self.remove_active(entry)
            self.pop_to(index)
            return
        if name == "p":
            index = self.in_scope("p", "button")
        elif name == "li":
            index = self.in_scope("li", "ol", "ul")
        elif name in _HEADINGS:
            index = max(self.in_scope(h) for h in _HEADINGS)
        elif name in _BLOCK_END:
            index = self.in_scope(name)
        elif name in _TABLE_PARTS:
            index = self.top(name)
            index = index if index > max(self.top("html"), self.top("template"), -1 if name == "table"
                                         else self.top("table")) else -1
        elif name in ("br", "html", "body"):
            if name == "br":
                self.reconstruct()
            return
        else:
            index = self.top(name)
            index = index if index >= self.special[-1] else -1
        if index >= 0:
            self.pop_to(index)


# Markup that cannot break a limit, so the model need not run (most wire bodies: a few paragraphs).
# Every token starts with "<", so with at most FEW_TAGS of them there are at most as many tags: the
# stack holds at most twice as many elements (each start tag, and each active formatting element
# re-opened once more), far below MAX_DEPTH; the active formatting list gets one entry per start tag
# (re-opening replaces entries in place), so it stays within MAX_ACTIVE_FORMATTING. Re-opening and
# the adoption agency count at most three times per token (and once after the last), each time at
# most the lengths of the active start tags, disjoint parts of the markup: FEW_TAGS_CHARS keeps that
# below MAX_RECONSTRUCTED_CHARS. The raw-text rules refuse only after <svg> or <math>, or in <script>.
FEW_TAGS = MAX_ACTIVE_FORMATTING - 1
FEW_TAGS_CHARS = MAX_RECONSTRUCTED_CHARS // (3 * FEW_TAGS + 1) - 1
_MAY_REFUSE = re.compile(r"<(?:svg|math|script)", re.I)


def _cannot_refuse(markup: str) -> bool:
    return (len(markup) <= FEW_TAGS_CHARS and markup.count("<") <= FEW_TAGS
            and _MAY_REFUSE.search(markup) is None)


def check_html(markup: str) -> None:
    """Raise :class:`MarkupTooComplex` when ``markup`` would make sanitizing slow or huge (see the module)."""
    if len(markup) > MAX_HTML_CHARS:
        raise MarkupTooComplex(f"the HTML is {len(markup):,} characters, more than the {MAX_HTML_CHARS:,} the hub "
                               "sanitizes; split the item or shorten its markup")
    if _cannot_refuse(markup):
        return
    _check_model(markup)


def _check_model(markup: str) -> None:
    """:func:`check_html`'s linear pass over the tokens, through the model of the tree builder."""
    model = _Model()
    foreign_seen = False
    position = 0
    while True:
        for token in _TOKEN.finditer(markup, position):
            if model.orphans and token.start() > position:
                model.reconstruct()  # text between tags
            position = token.end()
            closing, name = token.group(1, 2) if token.lastindex == 2 else token.group(3, 4)
            if name is None:
                continue  # comment, doctype, bogus comment
            name = name.lower()
            if closing:
                model.end(name)
            elif name not in _HANDLED:  # the common case: an inline or unknown element
                if model.orphans:
                    model.reconstruct()
                model.push(name)
            elif name in _RAWTEXT:
                # inside SVG or MathML (or after breaking out of them: the model cannot tell) these are
                # ordinary elements, elsewhere their content is text: the same only if it has no markup
                close = _RAWTEXT_END[name].search(markup, position)
                text = markup[position:close.start() if close else len(markup)]
                if foreign_seen and _TAG_LIKE.search(text):
                    raise MarkupTooComplex(f"the HTML has markup inside <{name}> after SVG or MathML, which the hub "
                                           "cannot read unambiguously; remove the <svg>/<math> or the markup in it")
                if name == "script" and "<!--" in text and re.search(r"<script[\t\n\f\r />]", text, re.I):
                    raise MarkupTooComplex("the HTML has a <script> that nests <!--<script>; scripts are removed "
                                           "anyway: leave it out")
                model.start(name, token.group(0))
                if close is None:
                    return
                position = close.start()
                break  # go on after the text, at the end tag
            else:
                foreign_seen = foreign_seen or name in ("svg", "math")
                model.start(name, token.group(0))
                if name == "plaintext":
                    return  # everything after it is text
        else:
            if model.orphans and markup[position:].strip():
                model.reconstruct()
            return


# One sanitizer built once: nh3.clean(markup, **options) builds ammonia's sanitizer from the Python
# sets on every call, ~160 µs of the ~170 µs it took for a 1 kB body; a prebuilt nh3.Cleaner with the
# same options gives the same output in ~10 µs (bench/ingest.py, issue 17).
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    # a partner's relative URL means nothing here, and would point a recipient's browser at the hub itself
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def clean_html(markup: str) -> str:
    """``markup`` sanitized: allowed tags and attributes only, absolute http(s)/mailto links, no comments.

    Raises :class:`MarkupTooComplex` (before any parsing) for markup that would be slow to sanitize.
    """
    check_html(markup)
    return _CLEANER.clean(markup).strip()


def safe_html(markup: object) -> str:
    """What an output shows of stored HTML: sanitized again; markup too complex to sanitize shows as nothing.

    Ingest refuses such markup, so only documents stored before a limit existed can hit it."""
    if not isinstance(markup, str) or not markup:
        return ""
    try:
        return clean_html(markup)
    except MarkupTooComplex:
        return ""


def clean_html_fields(value: Any, clean: Callable[[str, str], str], path: str = "$") -> Any:
    """``value`` (a ninjs document or part of one) with ``clean(html, path)`` applied to the ``value`` of every
    object whose ``contentType`` is HTML, at any depth (bodies, descriptions, headlines, associations, ...)."""
    if isinstance(value, dict):
        out = {}
        html = is_html(value.get("contentType")) or is_html(value.get("contenttype"))
        for key, inner in value.items():
            if key == "value" and html and isinstance(inner, str):
                out[key] = clean(inner, f"{path}.value")
            else:
                out[key] = clean_html_fields(inner, clean, f"{path}.{key}")
        return out
    if isinstance(value, list):
        return [clean_html_fields(inner, clean, f"{path}[{index}]") for index, inner in enumerate(value)]
    return value
