"""A student's national identifier (IIN in Kazakhstan, SNILS in Russia), unique in a school; empty for everyone
before it.

Revision ID: 5d3d666339b3
Revises: 6df4f26ec26d
Create Date: 2026-12-06 08:55:36.546527

"""
from alembic import op
import sqlalchemy as sa


revision = '5d3d666339b3'
down_revision = '6df4f26ec26d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('national_id', sa.String(length=12), nullable=True))
    op.create_index('uq_student_national_id_school_id', 'student', ['national_id', 'school_id'], unique=True)


def downgrade():
    op.drop_index('uq_student_national_id_school_id', table_name='student')
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('national_id')

