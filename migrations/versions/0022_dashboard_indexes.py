"""dashboard indexes: pledges by (bid, amount), invitations by (bid, status) and (bid, name)

Each replaces the index on bid_id alone, which it covers. The members table's default order (largest first)
reads a bid's pledges along ``ix_pledges_bid_amount`` and stops once its page is full; the totals by status,
the member count and the organisations that have pledged are read from it without the table. The invitation
counts are read from ``ix_invitations_bid_status`` alone, and the dashboard's first organisations yet to pledge
come in name order from ``ix_invitations_bid_name`` without a sort.

Revision ID: 0022_dashboard_indexes
Revises: 0021_pledge_region_shares
Create Date: 2026-12-02 20:00:00

"""

from alembic import op


revision = "0022_dashboard_indexes"
down_revision = "0021_pledge_region_shares"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledges_bid_id"))
        batch_op.create_index(
            "ix_pledges_bid_amount", ["bid_id", "amount_pence", "status", "organisation_id", "homes"], unique=False
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_bid_id"))
        batch_op.create_index(
            "ix_invitations_bid_status", ["bid_id", "status", "organisation_id", "expires_at"], unique=False
        )
        batch_op.create_index("ix_invitations_bid_name", ["bid_id", "organisation_name", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_bid_name")
        batch_op.drop_index("ix_invitations_bid_status")
        batch_op.create_index(batch_op.f("ix_invitations_bid_id"), ["bid_id"], unique=False)
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_index("ix_pledges_bid_amount")
        batch_op.create_index(batch_op.f("ix_pledges_bid_id"), ["bid_id"], unique=False)
