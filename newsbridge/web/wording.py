"""How the desk words the exchange's facts for people: status words, routing reasons, agreement terms.

The services keep machine words (``usable``, ``in_progress``) and English sentences for the API;
the desk turns the same facts into sentences in the member's language, built from translatable
templates with lists in the locale's own words (Babel), so a Kazakh member reads Kazakh
throughout, not "share саясат and БАҚ in ағылшын тілі". Every message here is marked with ``N_``
so the catalogue test finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsbridge.exchange.routing import Reason, read_reason
from newsbridge.projects.publication import read_joint_reason
from newsbridge.vocab import topic_labels
from newsbridge.vocab.mediatopics import vocabulary
from newsbridge.web.i18n import N_, direction, gettext_for, language_name, local_time, ngettext_for, words

_RTL_LETTERS = ("\u0590", "\u08ff")  # Hebrew to Arabic Extended: letters that read right to left


def _isolated(value: str, locale: str) -> str:
    """A partner's own words (a title, a credit line) set inside our sentence as a run of their own.

    In a right-to-left sentence an English title would otherwise drag the full stop and the
    quotes to the wrong side; the Unicode first-strong isolate does what <bdi> does in HTML.
    """
    mixed = direction(locale) == "rtl" or any(_RTL_LETTERS[0] <= c <= _RTL_LETTERS[1] for c in value)
    return f"\u2068{value}\u2069" if value and mixed else value

# Status words of agreements, lifecycle actions, roadmap commitments, item versions, deliveries
# and webhook messages: machine value -> English message (translated where shown).
STATUS_WORDS = {
    "draft": N_("draft"), "proposed": N_("proposed"), "active": N_("active"), "suspended": N_("suspended"),
    "ended": N_("ended"), "expired": N_("expired"),
    "create": N_("created"), "propose": N_("proposed for signature"), "amend": N_("terms amended"),
    "sign": N_("signed"), "suspend": N_("suspended"), "end": N_("ended for good"), "decline": N_("declined"),
    "planned": N_("Planned"), "in_progress": N_("In progress"), "done": N_("Done"), "blocked": N_("Blocked"),
    "dropped": N_("Dropped"),
    "usable": N_("published"), "withheld": N_("withheld"), "canceled": N_("withdrawn"),
    "available": N_("available"), "pending": N_("pending"), "in_flight": N_("being sent"),
    "delivered": N_("delivered"), "retrying": N_("retrying"), "dead": N_("gave up"), "failed": N_("failed"),
    "admin": N_("admin"), "editor": N_("editor"), "viewer": N_("viewer"),
}
ITEM_KINDS = {"text": N_("text"), "picture": N_("picture"), "video": N_("video"), "audio": N_("audio"),
              "graphic": N_("graphic"), "composite": N_("composite"), "planning": N_("planning"),
              "event": N_("event"), "component": N_("component")}


def status_word(value: object, locale: str) -> str:
    """A machine status in the member's words (an unknown one is shown as it is)."""
    raw = str(getattr(value, "value", value))
    return gettext_for(locale)(STATUS_WORDS.get(raw, raw))


def _topic(qcode: str, locale: str) -> str:
    return topic_labels.label(qcode, locale) if qcode in vocabulary() else qcode


def _kind(value: str, locale: str) -> str:
    return gettext_for(locale)(ITEM_KINDS.get(value, value))


def reason_words(reason: Reason, locale: str) -> str:
    """Why a partner received an item (or did not), in the member's language."""
    _, ngettext = gettext_for(locale), ngettext_for(locale)
    title = _isolated(reason.agreement, locale)
    topics = words([_topic(q, locale) for q in reason.topics], locale)
    if reason.kind == "shares":
        found = [_("Received under the agreement “%(agreement)s”.", agreement=title)]
        if reason.topics:
            found.append(ngettext("Topic it shares: %(topics)s.", "Topics it shares: %(topics)s.", len(reason.topics),
                            topics=topics))
        if reason.languages:
            found.append(_("Language it shares: %(language)s.", language=language_name(reason.languages[0], locale)))
        if reason.types:
            found.append(_("Kind of item it shares: %(kind)s.", kind=_kind(reason.types[0], locale)))
        if len(found) == 1:
            found.append(_("It shares every item."))
        return " ".join(found)
    if reason.kind == "earlier":
        if not title:
            return _("Received because an earlier version came under an earlier agreement: corrections and "
                     "withdrawals always follow.")
        return _("Received because an earlier version came under the agreement “%(agreement)s”: corrections and "
                 "withdrawals always follow.", agreement=title)
    if reason.kind == "status":
        return _("The agreement “%(agreement)s” is %(status)s.", agreement=title,
                 status=status_word(reason.status, locale))
    if reason.kind == "validity":
        return _("The agreement “%(agreement)s” is valid from %(start)s to %(end)s, not today.", agreement=title,
                 start=local_time(reason.valid_from, "UTC", locale) or "…",
                 end=local_time(reason.valid_until, "UTC", locale) or "…")
    if reason.kind == "outlet":
        return _("The agreement “%(agreement)s” does not cover items of this outlet.", agreement=title)
    if reason.kind == "type":
        return _("The agreement “%(agreement)s” does not cover this kind of item (%(kind)s). Kinds it shares: "
                 "%(kinds)s.", agreement=title, kind=_kind(reason.type, locale),
                 kinds=words([_kind(t, locale) for t in reason.types], locale))
    if reason.kind == "language":
        return _("The agreement “%(agreement)s” does not cover items in this language (%(language)s). Languages "
                 "it shares: %(languages)s.", agreement=title,
                 language=language_name(reason.language, locale) or _("unknown language"),
                 languages=words([language_name(c, locale) for c in reason.languages], locale))
    if reason.kind == "topic":
        about = words([_topic(q, locale) for q in reason.item_topics], locale) if reason.item_topics \
            else _("no Media Topic")
        return _("The agreement “%(agreement)s” does not cover the item's topics. Topics it shares: %(topics)s. "
                 "The item is about: %(about)s.", agreement=title, topics=topics, about=about)
    return _("Only partners that received earlier versions get a version that is %(status)s.",
             status=status_word(reason.pubstatus, locale))


def stored_reason_words(text: str, agreement: str, locale: str) -> str:
    """A delivery's stored (English) reason in the member's language, when routing's facts can be read back
    (a joint project's publication included: projects/publication.py)."""
    found = read_reason(text, agreement)
    if found is not None:
        return reason_words(found, locale)
    joint = read_joint_reason(text)
    if joint is None:
        return text
    _ = gettext_for(locale)
    title, partner, shared = joint
    if partner is None:
        return _("Joint project “%(project)s”: you co-produced it.", project=_isolated(title, locale))
    return _("Joint project “%(project)s”, shared by %(partner)s: %(reason)s", project=_isolated(title, locale),
             partner=_isolated(partner, locale), reason=stored_reason_words(shared or "", agreement, locale))


@dataclass(frozen=True)
class Sharing:
    """One term in the words a partner reads: who shares what, how soon, on which conditions."""

    sharers: list[str]
    topics: list[str]  # labels in the member's language; empty: every topic
    languages: list[str]  # language names in the member's language; empty: any language
    types: list[str]  # item kinds (machine words); empty: every kind of item
    delay: str | None  # in the member's words; None: at once
    credit_line: str
    usage_terms: str
    allow_translation: bool
    allow_republication: bool


def terms_sentences(s: Sharing, locale: str) -> list[str]:
    """A term as short sentences in the member's language, one fact each."""
    _, ngettext = gettext_for(locale), ngettext_for(locale)
    sharers, n = _isolated(words(s.sharers, locale), locale), len(s.sharers)
    found = [ngettext("%(sharers)s shares items on these topics: %(topics)s.",
                "%(sharers)s share items on these topics: %(topics)s.", n, sharers=sharers,
                topics=words(s.topics, locale))
             if s.topics else
             ngettext("%(sharers)s shares items on every topic.", "%(sharers)s share items on every topic.", n,
                sharers=sharers)]
    found.append(_("Only items in these languages: %(languages)s.", languages=words(s.languages, locale))
                 if s.languages else _("Items in any language."))
    if s.types:
        found.append(_("Only these kinds of items: %(kinds)s.",
                       kinds=words([_kind(t, locale) for t in s.types], locale)))
    found.append(_("Partners may use an item %(delay)s after it is published.", delay=s.delay) if s.delay
                 else _("Partners may use an item as soon as it is published."))
    found.append(_("Credit line: «%(credit)s».", credit=_isolated(s.credit_line, locale)))
    found.append(_("Translation allowed.") if s.allow_translation else _("Translation not allowed."))
    found.append(_("Republication allowed.") if s.allow_republication else _("Republication not allowed."))
    if s.usage_terms:
        found.append(_("Usage terms: %(terms)s", terms=_isolated(s.usage_terms, locale)))
    return found

