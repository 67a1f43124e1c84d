"""A student's external ID (what another system, OneRoster's sourcedId, calls the child), unique in a school;
empty for everyone before it.

Revision ID: 7aae2c9ecbc3
Revises: ee69465c42ac
Create Date: 2026-12-06 11:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '7aae2c9ecbc3'
down_revision = 'ee69465c42ac'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
    op.create_index('uq_student_external_id_school_id', 'student', ['school_id', 'external_id'], unique=True)


def downgrade():
    op.drop_index('uq_student_external_id_school_id', table_name='student')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('external_id')
