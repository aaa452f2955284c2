"""after the bid: outcomes (won, lost, withdrawn), released pledges, and the grants members make

Revision ID: 0007_outcomes_and_grants
Revises: 0007_invitation_links
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa

from app.models.types import UTCDateTime


revision = "0007_outcomes_and_grants"
down_revision = "0007_invitation_links"
branch_labels = None
depends_on = None

OLD_STATUS = "status IN ('draft', 'open', 'closed', 'submitted', 'cancelled')"
NEW_STATUS = "status IN ('draft', 'open', 'closed', 'submitted', 'cancelled', 'won', 'lost', 'withdrawn')"


def _status_check(old: str, new: str) -> None:
    """Replace the bids table's CHECK on ``status``."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_bids_status_valid"), "bids", type_="check")
        op.create_check_constraint("status_valid", "bids", new)
        return
    # SQLite changes a CHECK only by rebuilding the table, and other tables refer to ``bids``: with foreign keys
    # on (they cannot be turned off inside the migration's transaction) dropping the old table would count every
    # pledge, invitation and event as a violation. A CHECK is not stored in the table's rows, so SQLite's own
    # documented procedure for changing one edits the table's definition instead (sqlite.org/lang_altertable.html,
    # "making other kinds of table schema changes"), with the schema version bumped so connections reload it.
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bids'").scalar()
    if old not in sql:
        raise RuntimeError("the bids table's status CHECK is not the one this migration expects")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'bids'", (sql.replace(old, new),)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _status_check(OLD_STATUS, NEW_STATUS)
    op.add_column("pledges", sa.Column("released_at", UTCDateTime(), nullable=True))
    op.create_table(
        "bid_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("amount_awarded_pence", sa.BigInteger(), nullable=True),
        sa.Column("award_date", sa.Date(), nullable=True),
        sa.Column("grant_reference", sa.String(length=100), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("spend_by", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("grants_due_by", sa.Date(), nullable=True),
        sa.Column("delivery_closed_at", UTCDateTime(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("result IN ('won', 'lost', 'withdrawn')", name=op.f("ck_bid_outcomes_result_valid")),
        sa.CheckConstraint(
            "result <> 'won' OR (amount_awarded_pence IS NOT NULL AND amount_awarded_pence > 0 "
            "AND award_date IS NOT NULL)",
            name=op.f("ck_bid_outcomes_won_has_award"),
        ),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_bid_outcomes_bid_id_bids")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_bid_outcomes_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_outcomes")),
        sa.UniqueConstraint("bid_id", name=op.f("uq_bid_outcomes_bid_id")),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_key", sa.String(length=200), nullable=False),
        sa.Column("recipient_charity_number", sa.String(length=20), nullable=True),
        sa.Column("recipient_company_number", sa.String(length=20), nullable=True),
        sa.Column("recipient_identifier", sa.String(length=60), nullable=True),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("funder_pence", sa.BigInteger(), nullable=False),
        sa.Column("match_pence", sa.BigInteger(), nullable=False),
        sa.Column("award_date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("location_name", sa.String(length=200), nullable=False),
        sa.Column("location_gss", sa.String(length=9), nullable=True),
        sa.Column("region", sa.String(length=3), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_pence > 0", name=op.f("ck_grants_amount_positive")),
        sa.CheckConstraint("funder_pence >= 0 AND match_pence >= 0", name=op.f("ck_grants_sources_positive")),
        sa.CheckConstraint("funder_pence + match_pence = amount_pence", name=op.f("ck_grants_sources_add_up")),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            name=op.f("ck_grants_planned_order"),
        ),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_grants_bid_id_bids")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], name=op.f("fk_grants_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_grants_created_by_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_grants_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint("reference", name=op.f("uq_grants_reference")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grants_bid_id"), ["bid_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_recipient_key"), ["recipient_key"], unique=False)
        batch_op.create_index("ix_grants_bid_organisation", ["bid_id", "organisation_id"], unique=False)


def downgrade():
    op.drop_table("grants")
    op.drop_table("bid_outcomes")
    # In place on SQLite too (3.35+ drops a plain column without rebuilding the table others refer to).
    op.execute("ALTER TABLE pledges DROP COLUMN released_at")
    # Bids with an outcome go back to "submitted", the last status the older schema knows.
    op.execute("UPDATE bids SET status = 'submitted' WHERE status IN ('won', 'lost', 'withdrawn')")
    _status_check(NEW_STATUS, OLD_STATUS)
