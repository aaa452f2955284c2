"""join requests: managers of member organisations approve people who ask to join; possible matches

Revision ID: 0006_join_requests
Revises: 0005_body_identity
Create Date: 2026-12-01 21:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0006_join_requests"
down_revision = "0005_body_identity"
branch_labels = None
depends_on = None


def upgrade():
    # Added in place (ALTER TABLE ... ADD COLUMN, on SQLite too): rebuilding ``users`` would fail with
    # foreign keys on, since other tables refer to it.
    op.add_column("users", sa.Column("is_manager", sa.Boolean(), server_default=sa.false(), nullable=False))
    # The earliest user of each member organisation manages it (the first user of a new one does too).
    op.execute(
        sa.text(
            "UPDATE users SET is_manager = :yes WHERE id IN ("
            " SELECT MIN(u.id) FROM users u JOIN organisations o ON o.id = u.organisation_id"
            " WHERE o.kind = 'member' GROUP BY u.organisation_id)"
        ).bindparams(yes=True)
    )
    op.add_column("invitations", sa.Column("possible_organisation_id", sa.Integer(), nullable=True))
    op.create_table(
        "join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("status", sa.Enum("pending", "approved", "refused", "cancelled", name="joinrequeststatus",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'cancelled')", name=op.f("ck_join_requests_status_valid")
        ),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], name=op.f("fk_join_requests_invitation_id_invitations")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_join_requests_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_join_requests_decided_by_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_join_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_requests")),
    )
    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_join_requests_invitation_id"), ["invitation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_join_requests_organisation_id"), ["organisation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_join_requests_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_join_requests_invitation_id"))
    op.drop_table("join_requests")
    # Plain columns (no key, index or constraint): SQLite drops them in place. Rebuilding ``users`` or
    # ``invitations`` instead would fail with foreign keys on, since other tables refer to them.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invitations DROP COLUMN possible_organisation_id")
        op.execute("ALTER TABLE users DROP COLUMN is_manager")
    else:
        op.drop_column("invitations", "possible_organisation_id")
        op.drop_column("users", "is_manager")
