"""The delivery reasons of a joint publication, read back and worded in each desk language."""

from __future__ import annotations

import pytest

from newsbridge.exchange.routing import Reason
from newsbridge.projects.publication import COPRODUCER_REASON, SHARED_REASON, read_joint_reason
from newsbridge.web.wording import stored_reason_words

SHARED = Reason("shares", "IRNA-RIA", (), ("fa",)).text()


def test_the_reasons_read_back() -> None:
    assert read_joint_reason(COPRODUCER_REASON.format(title="Silk Way: it's ours")) == ("Silk Way: it's ours", None,
                                                                                        None)
    shared = SHARED_REASON.format(title="Silk Way", partner="irna", reason=SHARED)
    assert read_joint_reason(shared) == ("Silk Way", "irna", SHARED)
    assert read_joint_reason(SHARED) is None


@pytest.mark.parametrize(("locale", "coproduced", "shared"), [
    ("en", "Joint project “Silk Way”: you co-produced it.", "Joint project “Silk Way”, shared by irna: Received"),
    ("ru", "Совместный проект «Silk Way»: вы его сопродюсер.", "Совместный проект «Silk Way», поделился irna:"),
    ("kk", "«Silk Way» бірлескен жобасы: сіз оның бірлескен өндірушісісіз.", "«Silk Way» бірлескен жобасы, irna"),
    ("fa", "پروژه مشترک «\u2068Silk Way\u2069»", "هم‌رسانی‌شده از سوی \u2068irna\u2069"),
])
def test_the_desk_words_them_in_the_members_language(locale, coproduced, shared) -> None:
    assert coproduced in stored_reason_words(COPRODUCER_REASON.format(title="Silk Way"), "Kazakhstan-Iran", locale)
    worded = stored_reason_words(SHARED_REASON.format(title="Silk Way", partner="irna", reason=SHARED), "IRNA-RIA",
                                 locale)
    assert shared in worded
    assert SHARED not in worded  # the agreement's sentence is worded too
