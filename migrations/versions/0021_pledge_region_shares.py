"""pledge_region_shares: each live pledge's money and homes per region, stored; indexes for the dashboard

The regional split summed every live pledge's region list on each dashboard request. Each live pledge now has
one row per known region it names, holding its even share of the amount and homes (the first regions named
take what is left over), written with every change to the pledge; existing pledges are filled here. Two
indexes follow what the dashboard asks: a bid's latest events (bid, time), and a bid's emails by status (each
replacing the index on bid_id alone, which it covers).

Revision ID: 0021_pledge_region_shares
Revises: 0020_revision_changes
Create Date: 2026-12-02 15:45:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0021_pledge_region_shares"
down_revision = "0020_revision_changes"
branch_labels = None
depends_on = None

#: the region codes as they stood when this migration was written (unknown codes take no share)
CODES = ("NE", "NW", "YH", "EM", "WM", "EE", "LON", "SE", "SW", "WAL", "SCO", "NI")
LIVE = ("indicative", "confirmed")
BATCH = 1_000
PLEDGES = sa.table(
    "pledges",
    sa.column("id", sa.Integer),
    sa.column("bid_id", sa.Integer),
    sa.column("amount_pence", sa.BigInteger),
    sa.column("homes", sa.Integer),
    sa.column("regions", sa.JSON),
    sa.column("status", sa.String),
)


def _split(amount: int, parts: int) -> list[int]:
    base, extra = divmod(amount, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _backfill(shares) -> None:
    bind = op.get_bind()
    rows = []
    query = sa.select(PLEDGES).where(PLEDGES.c.status.in_(LIVE)).order_by(PLEDGES.c.id)
    for pledge_id, bid_id, amount, homes, regions, _status in bind.execute(query):
        codes = list(dict.fromkeys(c for c in regions or [] if c in CODES))
        if not codes:
            continue
        for code, a, h in zip(codes, _split(amount, len(codes)), _split(homes, len(codes)), strict=True):
            rows.append({"pledge_id": pledge_id, "bid_id": bid_id, "region": code, "amount_pence": a, "homes": h})
    for start in range(0, len(rows), BATCH):
        bind.execute(sa.insert(shares), rows[start : start + BATCH])


def upgrade():
    shares = op.create_table(
        "pledge_region_shares",
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("homes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_pledge_region_shares_bid_id_bids")),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_pledge_region_shares_pledge_id_pledges"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pledge_id", "region", name=op.f("pk_pledge_region_shares")),
    )
    op.create_index(
        "ix_pledge_region_shares_bid", "pledge_region_shares", ["bid_id", "region", "amount_pence", "homes"]
    )
    _backfill(shares)
    with op.batch_alter_table("bid_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bid_events_bid_id"))
        batch_op.create_index("ix_bid_events_bid_time", ["bid_id", "created_at", "id"], unique=False)
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_messages_bid_id"))
        batch_op.create_index("ix_email_messages_bid_status", ["bid_id", "status", "attempts"], unique=False)


def downgrade():
    with op.batch_alter_table("email_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_email_messages_bid_status")
        batch_op.create_index(batch_op.f("ix_email_messages_bid_id"), ["bid_id"], unique=False)
    with op.batch_alter_table("bid_events", schema=None) as batch_op:
        batch_op.drop_index("ix_bid_events_bid_time")
        batch_op.create_index(batch_op.f("ix_bid_events_bid_id"), ["bid_id"], unique=False)
    op.drop_index("ix_pledge_region_shares_bid", table_name="pledge_region_shares")
    op.drop_table("pledge_region_shares")
