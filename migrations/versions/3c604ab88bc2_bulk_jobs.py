"""Bulk jobs: a bulk change of more than a thousand students, run in the background and resumed where it
stopped should its process die.

Revision ID: 3c604ab88bc2
Revises: a4d2e8f61b37
Create Date: 2026-12-06 07:47:05.353054

"""
from alembic import op
import sqlalchemy as sa


revision = '3c604ab88bc2'
down_revision = 'a4d2e8f61b37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulk_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('student_ids', sa.JSON(), nullable=False),
    sa.Column('described', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('progress_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_bulk_job_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_bulk_job_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_job'))
    )
    with op.batch_alter_table('bulk_job', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_job_school_id_created_at', ['school_id', 'created_at'], unique=False)
        batch_op.create_index('ix_bulk_job_status', ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('bulk_job', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_job_status')
        batch_op.drop_index('ix_bulk_job_school_id_created_at')

    op.drop_table('bulk_job')
