"""The desk's overview: every agreement of ours with its weekly volume each way and its pace.

The figures of all the agreements are summed in the same few queries (``sums.read_sums``), not
one scorecard after the other: an organization in twenty agreements gets its overview for the
price of one agreement's figures, plus each agreement's roadmap.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.exchange.agreements import list_agreements
from newsbridge.exchange.lifecycle import Status
from newsbridge.metrics.figures import figures_of_sums
from newsbridge.metrics.periods import Window
from newsbridge.metrics.scorecard import Scorecard, assemble, trend_window
from newsbridge.metrics.sums import read_sums

SHOWN = (Status.PROPOSED, Status.ACTIVE, Status.SUSPENDED, Status.ENDED, Status.EXPIRED)  # not unsent drafts


def overview(conn: Connection, viewer: Organization, window: Window, now: datetime, today: date) -> list[Scorecard]:
    """The scorecard of every agreement the viewer sees that was put up for signature, newest first."""
    agreements = [a for a in list_agreements(conn, viewer) if a.status in SHOWN]
    trend = trend_window(window)
    span = (trend.first, trend.last)
    sums = read_sums(conn, agreements, window, now, daily=span)
    return [assemble(conn, a, figures_of_sums(a, window, sums[a.id], span), now, today) for a in agreements]
