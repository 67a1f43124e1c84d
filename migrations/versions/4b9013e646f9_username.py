"""A student's username: the login another system gave the child (OneRoster's username), which Credentials
offers; empty for everyone before it.

Revision ID: 4b9013e646f9
Revises: 7aae2c9ecbc3
Create Date: 2026-12-06 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '4b9013e646f9'
down_revision = '7aae2c9ecbc3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sa.String(length=150), nullable=True))


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('username')
