"""invitation links: one stored link per email, each working until used, revoked or expired; the convenor's
personal message on an invitation; a reply-to address on outgoing email

Revision ID: 0007_invitation_links
Revises: 0007_directory
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0007_invitation_links"
down_revision = "0007_directory"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitation_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ended", sa.Enum("used", "revoked", name="linkend", native_enum=False, length=20), nullable=True
        ),
        sa.CheckConstraint("ended IS NULL OR ended IN ('used', 'revoked')", name=op.f("ck_invitation_links_ended_valid")),
        sa.CheckConstraint("(ended IS NULL) = (ended_at IS NULL)", name=op.f("ck_invitation_links_ended_with_time")),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitations.id"], name=op.f("fk_invitation_links_invitation_id_invitations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_links_token_hash")),
    )
    with op.batch_alter_table("invitation_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_links_invitation_id"), ["invitation_id"], unique=False)
    # The one link each waiting invitation had keeps working; the old column is emptied and no longer read.
    # It stays in the table: SQLite cannot drop a UNIQUE column in place, and rebuilding ``invitations`` fails
    # with foreign keys on, since other tables refer to it.
    op.execute(
        "INSERT INTO invitation_links (invitation_id, token_hash, reason, created_at)"
        " SELECT id, token_hash, 'invitation', sent_at FROM invitations WHERE token_hash IS NOT NULL"
    )
    op.execute("UPDATE invitations SET token_hash = NULL")
    # Plain columns, added (and dropped) in place on SQLite too.
    op.add_column("invitations", sa.Column("message", sa.Text(), nullable=True))
    op.add_column("email_messages", sa.Column("reply_to", sa.String(length=254), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE email_messages DROP COLUMN reply_to")
        op.execute("ALTER TABLE invitations DROP COLUMN message")
    else:
        op.drop_column("email_messages", "reply_to")
        op.drop_column("invitations", "message")
    # Back to one link per invitation: the newest link still working.
    op.execute(
        "UPDATE invitations SET token_hash = (SELECT l.token_hash FROM invitation_links l"
        " WHERE l.invitation_id = invitations.id AND l.ended_at IS NULL ORDER BY l.id DESC LIMIT 1)"
        " WHERE status = 'sent'"
    )
    with op.batch_alter_table("invitation_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_links_invitation_id"))
    op.drop_table("invitation_links")
