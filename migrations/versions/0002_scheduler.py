"""scheduler: reminder slots claimed per bid, and convenor emails claimed per user

Revision ID: 0002_scheduler
Revises: 0001_initial
Create Date: 2026-11-24 12:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0002_scheduler"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_reminder_slots_bid_id_bids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_slots")),
        sa.UniqueConstraint("bid_id", "slot", name="uq_reminder_slots_bid_slot"),
    )
    with op.batch_alter_table("reminder_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_slots_bid_id"), ["bid_id"], unique=False)

    op.create_table(
        "convenor_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bid_id"], ["bids.id"], name=op.f("fk_convenor_sends_bid_id_bids")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_convenor_sends_user_id_users")),
        sa.ForeignKeyConstraint(
            ["email_id"], ["email_messages.id"], name=op.f("fk_convenor_sends_email_id_email_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_convenor_sends")),
        sa.UniqueConstraint("bid_id", "user_id", "key", name="uq_convenor_sends_bid_user_key"),
    )
    with op.batch_alter_table("convenor_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_convenor_sends_bid_id"), ["bid_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_convenor_sends_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("convenor_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_convenor_sends_user_id"))
        batch_op.drop_index(batch_op.f("ix_convenor_sends_bid_id"))
    op.drop_table("convenor_sends")
    with op.batch_alter_table("reminder_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_slots_bid_id"))
    op.drop_table("reminder_slots")
