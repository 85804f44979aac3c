"""Recording answers on PostgreSQL takes the endpoint rows it will update first, in id order
(newsbridge.delivery.outbox.lock_endpoints): two recorders marking endpoints failing and healthy in
different orders deadlocked before (bench/slow_partner.py found it with three bad partners)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from newsbridge.db.engine import writing
from newsbridge.db.tables import endpoints
from newsbridge.delivery.outbox import lock_endpoints

from test_outbox import BROKEN, OK, T0, Hub, hub  # noqa: F401  (hub: the fixture)


def _locked(hub: Hub, endpoint_id: str) -> bool:
    """Whether another transaction holds the endpoint's row lock (asked without waiting)."""
    with hub.engine.connect() as other:
        try:
            other.execute(sa.select(endpoints.c.id).where(endpoints.c.id == endpoint_id).with_for_update(nowait=True))
            return False
        except OperationalError:
            return True
        finally:
            other.rollback()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_recording_locks_what_it_will_update_before_updating(hub: Hub) -> None:
    failing, _ = hub.endpoint("http://127.0.0.1:9/failing")
    healthy, _ = hub.endpoint("http://127.0.0.1:9/healthy")
    recovering, _ = hub.endpoint("http://127.0.0.1:9/recovering")
    hub.publish("urn:locks:1")
    hub.sequence(T0)
    claims = {c.endpoint_id: c for c in hub.claim("w", T0)}
    with writing(hub.engine) as conn:
        conn.execute(endpoints.update().where(endpoints.c.id == recovering.id).values(failing_since=T0))
    with writing(hub.engine) as conn:
        lock_endpoints(conn, [(claims[failing.id], BROKEN), (claims[healthy.id], OK), (claims[recovering.id], OK)])
        # a failure marks its endpoint; a 2xx clears a failing one's mark; a healthy one is left unlocked
        assert [_locked(hub, e.id) for e in (failing, recovering, healthy)] == [True, True, False]
    assert not _locked(hub, failing.id)  # released with the transaction
