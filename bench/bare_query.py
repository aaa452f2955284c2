"""The bare aggregate baseline: one hand-written SQL query for a bid's headline totals.

``services.totals.compute`` does more (status split, invitation counts, regions, thresholds); this is
the least any implementation must do, so the ratio says what the rest costs.
"""

from __future__ import annotations

import sqlalchemy as sa

SQL = sa.text(
    "SELECT count(*), coalesce(sum(amount_pence), 0), coalesce(sum(homes), 0) "
    "FROM pledges WHERE bid_id = :bid_id AND status IN ('indicative', 'confirmed')"
)


def aggregate(connection, bid_id: int) -> tuple[int, int, int]:
    """(members pledged, pence pledged, homes) for the bid, in one round trip."""
    count, pence, homes = connection.execute(SQL, {"bid_id": bid_id}).one()
    return int(count), int(pence), int(homes)
