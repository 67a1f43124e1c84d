"""A student's citizenship (short text).

Revision ID: f3c1d9e7a245
Revises: e2b7c9d4a516
Create Date: 2026-12-06 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3c1d9e7a245'
down_revision = 'e2b7c9d4a516'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('citizenship', sa.String(length=100), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_column('citizenship')
