"""body identity: a convening body's display name, logo, accent colour and funder contact

Revision ID: 0005_body_identity
Revises: 0004_outbox_message_id
Create Date: 2026-12-01 21:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005_body_identity"
down_revision = "0004_outbox_message_id"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "body_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo_type", sa.String(length=10), nullable=True),
        sa.Column("logo_width", sa.Integer(), nullable=True),
        sa.Column("logo_height", sa.Integer(), nullable=True),
        sa.Column("accent", sa.String(length=7), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "logo_type IS NULL OR logo_type IN ('png', 'jpeg')", name=op.f("ck_body_identities_logo_type_known")
        ),
        sa.CheckConstraint("accent IS NULL OR length(accent) = 7", name=op.f("ck_body_identities_accent_hex")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_body_identities_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_body_identities_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_identities")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_body_identities_organisation_id")),
    )


def downgrade():
    op.drop_table("body_identities")
