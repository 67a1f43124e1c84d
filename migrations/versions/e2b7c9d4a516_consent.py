"""Consent on record: a school's personal-data notice (text, version); a student's accepted version and when.

Revision ID: e2b7c9d4a516
Revises: d8a3f6b2c410
Create Date: 2026-12-01 22:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2b7c9d4a516'
down_revision = 'd8a3f6b2c410'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school') as batch_op:
        batch_op.add_column(sa.Column('notice_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notice_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent_withdrawn_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_column('consent_withdrawn_at')
        batch_op.drop_column('consent_at')
        batch_op.drop_column('consent_version')
    with op.batch_alter_table('school') as batch_op:
        batch_op.drop_column('notice_version')
        batch_op.drop_column('notice_text')
