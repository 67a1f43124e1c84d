"""Work that outlives a process: mails' next attempt, the process that runs an import, credentials sent at

Revision ID: b3d8f2a6c911
Revises: a7c4e1f3b820
Create Date: 2026-12-01 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3d8f2a6c911'
down_revision = 'a7c4e1f3b820'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_message') as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_mail_message_status_next_attempt_at', ['status', 'next_attempt_at'])
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=120), nullable=True))
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('credentials_sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_column('credentials_sent_at')
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.drop_column('runner')
    with op.batch_alter_table('mail_message') as batch_op:
        batch_op.drop_index('ix_mail_message_status_next_attempt_at')
        batch_op.drop_column('next_attempt_at')
