"""Each school has a country: the region its phones are read in (ISO 3166 code; existing schools are KZ)

Revision ID: a7c4e1f3b820
Revises: e5b8c3f0a914
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c4e1f3b820'
down_revision = 'e5b8c3f0a914'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school') as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=False, server_default='KZ'))


def downgrade():
    with op.batch_alter_table('school') as batch_op:
        batch_op.drop_column('country')
