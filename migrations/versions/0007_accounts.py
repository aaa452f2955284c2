"""accounts: emailed account links (password reset, email change, colleague invitations), signed-in sessions,
erased users, and the first convenor of each convening body as its manager

Revision ID: 0007_accounts
Revises: 0006_join_requests
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0007_accounts"
down_revision = "0006_join_requests"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Enum("password_reset", "email_change", "colleague", name="linkpurpose",
                                     native_enum=False, length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("as_manager", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_change', 'colleague')", name=op.f("ck_account_links_purpose_valid")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_links_user_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_account_links_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_account_links_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_links_token_hash")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_links_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_links_organisation_id"), ["organisation_id"], unique=False)
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
    # Added in place (ALTER TABLE ... ADD COLUMN): rebuilding ``users`` would fail with foreign keys on.
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    # The earliest convenor of each convening body that has no manager manages its team.
    op.execute(
        sa.text(
            "UPDATE users SET is_manager = :yes WHERE id IN ("
            " SELECT MIN(u.id) FROM users u JOIN organisations o ON o.id = u.organisation_id"
            " WHERE o.kind = 'convenor' AND NOT EXISTS ("
            "  SELECT 1 FROM users m WHERE m.organisation_id = u.organisation_id AND m.is_manager = :yes)"
            " GROUP BY u.organisation_id)"
        ).bindparams(yes=True)
    )


def downgrade():
    # A plain column: SQLite drops it in place (rebuilding ``users`` would fail with foreign keys on).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN erased_at")
    else:
        op.drop_column("users", "erased_at")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_links_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_account_links_user_id"))
    op.drop_table("account_links")
