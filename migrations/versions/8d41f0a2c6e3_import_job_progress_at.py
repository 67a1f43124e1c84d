"""Import jobs remember their worker's last sign of life

Revision ID: 8d41f0a2c6e3
Revises: 3b9e4d2c71a5
Create Date: 2026-11-28 20:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8d41f0a2c6e3'
down_revision = '3b9e4d2c71a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.drop_column('progress_at')
