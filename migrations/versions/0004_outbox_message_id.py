"""outbox: a stable Message-ID for every email, set when it is queued

Revision ID: 0004_outbox_message_id
Revises: 0002_scheduler
Create Date: 2026-12-01 21:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_outbox_message_id"
down_revision = "0002_scheduler"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("email_messages") as batch:
        batch.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
    # Messages queued before this revision get an identity made from their row id (unique, stable from now on).
    op.execute("UPDATE email_messages SET message_id = '<outbox-' || id || '@localhost>' WHERE message_id IS NULL")
    with op.batch_alter_table("email_messages") as batch:
        batch.alter_column("message_id", existing_type=sa.String(length=255), nullable=False)
        batch.create_unique_constraint("uq_email_messages_message_id", ["message_id"])


def downgrade():
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_constraint("uq_email_messages_message_id", type_="unique")
        batch.drop_column("message_id")
