"""Closing a school year: the wizard's choices (year_close) and what it did to each child (year_close_entry),
which its undo reads.

Revision ID: 6df4f26ec26d
Revises: aff93ca489d0
Create Date: 2026-12-06 08:09:38.193007

"""
from alembic import op
import sqlalchemy as sa


revision = '6df4f26ec26d'
down_revision = 'aff93ca489d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('year_close',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('from_year_id', sa.Integer(), nullable=False),
    sa.Column('to_year_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('exceptions', sa.JSON(), nullable=False),
    sa.Column('clear_individual', sa.JSON(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('progress_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_year_close_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_year_id'], ['school_year.id'], name=op.f('fk_year_close_from_year_id_school_year'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['school_order.id'], name=op.f('fk_year_close_order_id_school_order'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_year_close_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_year_id'], ['school_year.id'], name=op.f('fk_year_close_to_year_id_school_year'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_close'))
    )
    with op.batch_alter_table('year_close', schema=None) as batch_op:
        batch_op.create_index('ix_year_close_school_id_status', ['school_id', 'status'], unique=False)

    op.create_table('year_close_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('close_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_section_ids', sa.String(length=200), nullable=False),
    sa.Column('to_section_id', sa.Integer(), nullable=True),
    sa.Column('previous_status', sa.String(length=20), nullable=False),
    sa.Column('was_individual', sa.Boolean(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['close_id'], ['year_close.id'], name=op.f('fk_year_close_entry_close_id_year_close'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_year_close_entry_student_id_student'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_section_id'], ['section.id'], name=op.f('fk_year_close_entry_to_section_id_section'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_close_entry')),
    sa.UniqueConstraint('close_id', 'student_id', name=op.f('uq_year_close_entry_close_id_student_id'))
    )
    with op.batch_alter_table('year_close_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_year_close_entry_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_year_close_entry_to_section_id'), ['to_section_id'], unique=False)



def downgrade():
    with op.batch_alter_table('year_close_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_year_close_entry_to_section_id'))
        batch_op.drop_index(batch_op.f('ix_year_close_entry_student_id'))

    op.drop_table('year_close_entry')
    with op.batch_alter_table('year_close', schema=None) as batch_op:
        batch_op.drop_index('ix_year_close_school_id_status')

    op.drop_table('year_close')
