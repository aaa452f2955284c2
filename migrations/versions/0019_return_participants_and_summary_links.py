"""impact returns: participants added and removed after set-up, private summary report links

Revision ID: 0019_return_participants_links
Revises: 0018_impact_returns
Create Date: 2026-12-02 04:50:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0019_return_participants_links"
down_revision = "0018_impact_returns"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programme_participants") as batch:
        batch.add_column(sa.Column("expected_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "return_summary_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("from_period", sa.String(length=20), nullable=False),
        sa.Column("to_period", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_return_summary_links_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_return_summary_links_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_return_summary_links_programme_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_summary_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_return_summary_links_token_hash")),
    )
    with op.batch_alter_table("return_summary_links") as batch:
        batch.create_index(batch.f("ix_return_summary_links_organisation_id"), ["organisation_id"], unique=False)
        batch.create_index(batch.f("ix_return_summary_links_programme_id"), ["programme_id"], unique=False)


def downgrade():
    with op.batch_alter_table("return_summary_links") as batch:
        batch.drop_index(batch.f("ix_return_summary_links_programme_id"))
        batch.drop_index(batch.f("ix_return_summary_links_organisation_id"))
    op.drop_table("return_summary_links")
    with op.batch_alter_table("programme_participants") as batch:
        batch.drop_column("removed_at")
        batch.drop_column("expected_from")
