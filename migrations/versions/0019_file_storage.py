"""file storage in the database: a header row per stored file and its bytes in chunks

Revision ID: 0019_file_storage
Revises: 0019_return_participants_links
Create Date: 2026-12-02 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0019_file_storage'
down_revision = "0019_return_participants_links"
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('stored_files',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files'))
    )
    op.create_table('stored_file_chunks',
    sa.Column('file_key', sa.String(length=300), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['file_key'], ['stored_files.key'], name=op.f('fk_stored_file_chunks_file_key_stored_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_key', 'seq', name=op.f('pk_stored_file_chunks'))
    )

def downgrade():
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
