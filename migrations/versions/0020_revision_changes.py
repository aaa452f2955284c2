"""pledge_revisions: each revision's change to the live total and member count, and a (bid, time) index

``amount_change_pence`` and ``members_change`` hold what the revision changed: the pledge's live amount after it
minus before it (0 when withdrawn), and whether the pledge became live (1), stopped being live (-1) or neither
(0). The pledged-over-time series sums them in SQL instead of reading every revision's JSON. Existing rows are
filled from each pledge's revisions in time order, as the series computed them until now. The index on
(bid_id, created_at, id) replaces the one on bid_id alone: the series and the total at a moment read a bid's
revisions in that order.

Revision ID: 0020_revision_changes
Revises: 0019_grant_name_keys
Create Date: 2026-12-02 15:30:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0020_revision_changes"
down_revision = "0019_grant_name_keys"
branch_labels = None
depends_on = None

LIVE = ("indicative", "confirmed")
BATCH = 1_000
REVISIONS = sa.table(
    "pledge_revisions",
    sa.column("id", sa.Integer),
    sa.column("pledge_id", sa.Integer),
    sa.column("created_at"),
    sa.column("after", sa.JSON),
    sa.column("amount_change_pence", sa.BigInteger),
    sa.column("members_change", sa.SmallInteger),
)


def _live(values) -> int:
    if not values or values.get("status") not in LIVE:
        return 0
    return int(values.get("amount_pence") or 0)


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(REVISIONS.c.id, REVISIONS.c.pledge_id, REVISIONS.c.after).order_by(
            REVISIONS.c.pledge_id, REVISIONS.c.created_at, REVISIONS.c.id
        )
    )
    changes, previous, pledge = [], 0, None
    for revision_id, pledge_id, after in rows:
        if pledge_id != pledge:
            pledge, previous = pledge_id, 0
        amount = _live(after)
        if amount != previous:
            changes.append({"rid": revision_id, "a": amount - previous, "m": (amount != 0) - (previous != 0)})
        previous = amount
    update = (
        sa.update(REVISIONS)
        .where(REVISIONS.c.id == sa.bindparam("rid"))
        .values(amount_change_pence=sa.bindparam("a"), members_change=sa.bindparam("m"))
    )
    for start in range(0, len(changes), BATCH):
        bind.execute(update, changes[start : start + BATCH])


def upgrade():
    with op.batch_alter_table("pledge_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_change_pence", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("members_change", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.drop_index(batch_op.f("ix_pledge_revisions_bid_id"))
        batch_op.create_index(
            "ix_pledge_revisions_bid_time",
            ["bid_id", "created_at", "id", "amount_change_pence", "members_change"],
            unique=False,
        )
    _backfill()


def downgrade():
    with op.batch_alter_table("pledge_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_pledge_revisions_bid_time")
        batch_op.create_index(batch_op.f("ix_pledge_revisions_bid_id"), ["bid_id"], unique=False)
        batch_op.drop_column("members_change")
        batch_op.drop_column("amount_change_pence")
