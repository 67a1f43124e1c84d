"""A child's way through the school: a student's status, movements and orders. An existing drop-out (a date
set) becomes a Left movement with its reason and note, and the student Left.

Revision ID: a4d2e8f61b37
Revises: f3c1d9e7a245
Create Date: 2026-12-06 05:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a4d2e8f61b37'
down_revision = 'f3c1d9e7a245'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('school_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_order_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_order')),
    sa.UniqueConstraint('school_id', 'year', 'number', name=op.f('uq_school_order_school_id_year_number'))
    )
    op.create_table('movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=True),
    sa.Column('former_student', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('from_sections', sa.String(length=500), server_default='', nullable=False),
    sa.Column('to_sections', sa.String(length=500), server_default='', nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_movement_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['school_order.id'], name=op.f('fk_movement_order_id_school_order'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_movement_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_movement_student_id_student'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement'))
    )
    with op.batch_alter_table('movement') as batch_op:
        batch_op.create_index('ix_movement_school_id_date', ['school_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_movement_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_movement_order_id'), ['order_id'], unique=False)
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='studying', nullable=False))
        batch_op.create_index('ix_student_school_id_status', ['school_id', 'status'], unique=False)
    op.create_table('leave_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_leave_reason_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leave_reason')),
    sa.UniqueConstraint('school_id', 'name', name=op.f('uq_leave_reason_school_id_name'))
    )
    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=True),
    sa.Column('from_school_id', sa.Integer(), nullable=False),
    sa.Column('to_school_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_school_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('new_student_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_transfer_asked_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_school_id'], ['school.id'], name=op.f('fk_transfer_from_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['new_student_id'], ['student.id'], name=op.f('fk_transfer_new_student_id_student'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_transfer_student_id_student'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_school_id'], ['school.id'], name=op.f('fk_transfer_to_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer'))
    )
    with op.batch_alter_table('transfer') as batch_op:
        batch_op.create_index('ix_transfer_to_school_id_state', ['to_school_id', 'state'], unique=False)
        batch_op.create_index('ix_transfer_from_school_id_state', ['from_school_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_student_id'), ['student_id'], unique=False)
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.add_column(sa.Column('order_number', sa.String(length=50), server_default='', nullable=False))
        batch_op.add_column(sa.Column('order_date', sa.Date(), nullable=True))
    op.execute("INSERT INTO movement (school_id, student_id, kind, date, reason, note, created_at) "
               "SELECT school_id, id, 'left', dropout_date, dropout_reason, dropout_note, CURRENT_TIMESTAMP "
               "FROM student WHERE dropout_date IS NOT NULL")
    op.execute("UPDATE student SET status = 'left' WHERE dropout_date IS NOT NULL")


def downgrade():
    op.drop_table('transfer')
    op.drop_table('leave_reason')
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.drop_column('order_date')
        batch_op.drop_column('order_number')
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_index('ix_student_school_id_status')
        batch_op.drop_column('status')
    op.drop_table('movement')
    op.drop_table('school_order')
