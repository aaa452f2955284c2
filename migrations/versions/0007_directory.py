"""directory: a convening body's organisations, contacts and tags; filled from the invitations so far

Revision ID: 0007_directory
Revises: 0007_accounts
Create Date: 2026-12-02 00:20:31.494014

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0007_directory'
down_revision = '0007_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('identifier', sa.String(length=40), nullable=True),
    sa.Column('homes_owned', sa.Integer(), nullable=True),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('homes_owned IS NULL OR homes_owned >= 0', name=op.f('ck_directory_entries_homes_positive')),
    sa.ForeignKeyConstraint(['body_id'], ['organisations.id'], name=op.f('fk_directory_entries_body_id_organisations')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_directory_entries_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_entries')),
    sa.UniqueConstraint('body_id', 'name_key', name='uq_directory_entries_body_name')
    )
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entries_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_entries_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_directory_entries_body_organisation', ['body_id', 'organisation_id'], unique=True, sqlite_where=sa.text('organisation_id IS NOT NULL'), postgresql_where=sa.text('organisation_id IS NOT NULL'))

    op.create_table('directory_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['organisations.id'], name=op.f('fk_directory_tags_body_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_tags')),
    sa.UniqueConstraint('body_id', 'name_key', name='uq_directory_tags_body_name')
    )
    with op.batch_alter_table('directory_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_tags_body_id'), ['body_id'], unique=False)

    op.create_table('directory_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['directory_entries.id'], name=op.f('fk_directory_contacts_entry_id_directory_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_directory_contacts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_contacts')),
    sa.UniqueConstraint('entry_id', 'email', name='uq_directory_contacts_entry_email')
    )
    with op.batch_alter_table('directory_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_directory_contacts_email', ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_contacts_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_contacts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_directory_contacts_one_primary', ['entry_id'], unique=True, sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))

    op.create_table('directory_entry_tags',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['directory_entries.id'], name=op.f('fk_directory_entry_tags_entry_id_directory_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['directory_tags.id'], name=op.f('fk_directory_entry_tags_tag_id_directory_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'tag_id', name=op.f('pk_directory_entry_tags'))
    )
    with op.batch_alter_table('directory_entry_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entry_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table(
        "directory_entry_invitations",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"],
                                name=op.f("fk_directory_entry_invitations_invitation_id_invitations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["directory_entries.id"],
                                name=op.f("fk_directory_entry_invitations_entry_id_directory_entries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_directory_entry_invitations")),
    )
    with op.batch_alter_table("directory_entry_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_entry_invitations_entry_id"), ["entry_id"], unique=False)

    _backfill()


def _key(name):
    """Organisation.key_for, as it is when this revision was written."""
    return " ".join(name.split()).casefold()


def _backfill():
    """Every organisation invited to or accepted into a body's bids joins that body's directory, with the
    invited addresses as its contacts (the earliest primary; linked to an account with that address)."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    invitations = bind.execute(
        sa.text(
            "SELECT i.id, b.organisation_id AS body_id, i.organisation_id, i.organisation_name, i.email,"
            " o.name AS org_name, o.name_key AS org_key"
            " FROM invitations i JOIN bids b ON b.id = i.bid_id"
            " LEFT JOIN organisations o ON o.id = i.organisation_id"
            " ORDER BY i.id"
        )
    ).mappings().all()
    users = {e: (uid, oid) for uid, e, oid in bind.execute(sa.text("SELECT id, email, organisation_id FROM users"))}
    entries = {}  # (body, key) -> entry id
    by_org = {}  # (body, organisation id) -> entry id
    contacts = {}  # entry id -> set of emails
    entry_table = sa.table(
        "directory_entries",
        sa.column("id", sa.Integer), sa.column("body_id", sa.Integer), sa.column("organisation_id", sa.Integer),
        sa.column("name", sa.String), sa.column("name_key", sa.String), sa.column("regions", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    contact_table = sa.table(
        "directory_contacts",
        sa.column("entry_id", sa.Integer), sa.column("name", sa.String), sa.column("email", sa.String),
        sa.column("job_title", sa.String), sa.column("is_primary", sa.Boolean), sa.column("user_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    for row in invitations:
        body, org = row["body_id"], row["organisation_id"]
        name = row["org_name"] if org else row["organisation_name"]
        key = _key(name)
        entry = by_org.get((body, org)) if org else None
        entry = entry or entries.get((body, key))
        if entry is None:
            entry = bind.execute(
                entry_table.insert().values(
                    body_id=body, organisation_id=org, name=name, name_key=key, regions=[],
                    created_at=now, updated_at=now,
                ).returning(entry_table.c.id)
            ).scalar_one()
            entries[(body, key)] = entry
            contacts[entry] = set()
        if org and (body, org) not in by_org:
            bind.execute(entry_table.update().where(entry_table.c.id == entry).values(organisation_id=org))
            by_org[(body, org)] = entry
        bind.execute(
            sa.text("INSERT INTO directory_entry_invitations (invitation_id, entry_id) VALUES (:i, :e)"),
            {"i": row["id"], "e": entry},
        )
        if row["email"] not in contacts[entry]:
            account = users.get(row["email"])
            bind.execute(
                contact_table.insert().values(
                    entry_id=entry, name="", email=row["email"], job_title="", is_primary=not contacts[entry],
                    user_id=account[0] if account and account[1] == org else None, created_at=now,
                )
            )
            contacts[entry].add(row["email"])


def downgrade():
    with op.batch_alter_table("directory_entry_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_entry_invitations_entry_id"))
    op.drop_table("directory_entry_invitations")
    with op.batch_alter_table('directory_entry_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_entry_tags_tag_id'))

    op.drop_table('directory_entry_tags')
    with op.batch_alter_table('directory_contacts', schema=None) as batch_op:
        batch_op.drop_index('uq_directory_contacts_one_primary', sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.drop_index(batch_op.f('ix_directory_contacts_user_id'))
        batch_op.drop_index(batch_op.f('ix_directory_contacts_entry_id'))
        batch_op.drop_index('ix_directory_contacts_email')

    op.drop_table('directory_contacts')
    with op.batch_alter_table('directory_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_tags_body_id'))

    op.drop_table('directory_tags')
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_directory_entries_body_organisation', sqlite_where=sa.text('organisation_id IS NOT NULL'), postgresql_where=sa.text('organisation_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_directory_entries_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_directory_entries_body_id'))

    op.drop_table('directory_entries')
