"""Sign-in throttling: a back-off per (client address, e-mail) pair, and a brake on spraying.

The old rule paused an e-mail for everyone after five failures (anyone could lock any member
out) and an address for every account after twenty (one guesser locked out a whole office
behind its address). The rules now, as sign-in forms that face the Internet do it:

* Each (address, e-mail) pair gets :data:`FREE_FAILURES` failures free (typos). Each further
  failure pauses the pair, twice as long each time: 1 s, 2 s, 4 s ... up to :data:`MAX_PAUSE`.
  While a pair is paused its attempts are refused unchecked, so guessing harder is no faster.
* A pause belongs to its pair: failures from one address never pause the e-mail from another
  address, nor another e-mail from the same address.
* Spraying: an address that has failed for :data:`SPRAY_ACCOUNTS` other e-mails within
  :data:`SPRAY_WINDOW` gets no free failures: its first failure for any e-mail pauses that pair
  for :data:`MAX_PAUSE`. An e-mail it has not failed for is not paused, so a member's right
  password from that address still works.
* Every attempt counts as a failure before its password is checked, and is forgiven when the
  password was right (the pair's row is deleted): a burst of parallel guesses cannot all slip
  through before the first one is counted.
* Failures are forgotten :data:`FORGET_AFTER` after the last one.

The state is in the database, so every hub process applies the same pauses.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from newsbridge.db.signin_tables import sign_in_throttles
from newsbridge.errors import NewsbridgeError

FREE_FAILURES = 3
FIRST_PAUSE = timedelta(seconds=1)
MAX_PAUSE = timedelta(minutes=15)
SPRAY_ACCOUNTS = 20
SPRAY_WINDOW = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


class TooManyAttempts(NewsbridgeError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, wait: timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        minutes = math.ceil(self.retry_after / 60)
        when = f"{self.retry_after} seconds" if self.retry_after < 60 else \
            f"{minutes} minute{'s' if minutes > 1 else ''}"
        super().__init__(f"too many failed sign-ins for this e-mail from your address; try again in {when}",
                         field="email")


def pause_after(failures: int, spraying: bool = False) -> timedelta:
    """How long a pair is paused after its ``failures``-th failure in a row."""
    if spraying:
        return MAX_PAUSE
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_PAUSE * 2 ** min(failures - FREE_FAILURES - 1, 30), MAX_PAUSE)


def _pair(client: str, email: str) -> tuple[str, str]:
    return client[:100], email.strip().lower()[:320]


def begin_attempt(conn: Connection, client: str, email: str, now: datetime) -> None:
    """Count a sign-in attempt of ``client`` for ``email`` as a failure, before its password is checked.

    Raises :class:`TooManyAttempts` (counting nothing) while the pair is paused. Call
    :func:`forgive` when the password turns out right."""
    client, email = _pair(client, email)
    conn.execute(sign_in_throttles.delete().where(sign_in_throttles.c.last_failure_at < now - FORGET_AFTER))
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(sign_in_throttles).values(client=client, email=email, failures=0, last_failure_at=now,
                                                  paused_until=now).on_conflict_do_nothing())
    query = sa.select(sign_in_throttles.c.failures, sign_in_throttles.c.paused_until,
                      sign_in_throttles.c.last_failure_at).where(
        sign_in_throttles.c.client == client, sign_in_throttles.c.email == email)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # parallel attempts of one pair are counted one after the other
    row = conn.execute(query).one()
    # paused only past a failure that set a pause: a free failure leaves paused_until at its own time,
    # which a parallel attempt that began a moment earlier (its ``now`` older) must not read as a pause
    if row.paused_until > now and row.paused_until > row.last_failure_at:
        raise TooManyAttempts(row.paused_until - now)
    others = conn.execute(sa.select(sa.func.count()).select_from(sign_in_throttles).where(
        sign_in_throttles.c.client == client, sign_in_throttles.c.email != email,
        sign_in_throttles.c.failures > 0, sign_in_throttles.c.last_failure_at > now - SPRAY_WINDOW)).scalar_one()
    failures = row.failures + 1
    conn.execute(sign_in_throttles.update().where(
        sign_in_throttles.c.client == client, sign_in_throttles.c.email == email,
    ).values(failures=failures, last_failure_at=now,
             paused_until=now + pause_after(failures, spraying=others >= SPRAY_ACCOUNTS)))


def forgive(conn: Connection, client: str, email: str) -> None:
    """The password was right: the pair starts afresh."""
    client, email = _pair(client, email)
    conn.execute(sign_in_throttles.delete().where(sign_in_throttles.c.client == client,
                                                  sign_in_throttles.c.email == email))
