"""Languages: a user's own choice, a school's language for its mails to students, an import's language.

Revision ID: d8a3f6b2c410
Revises: c5e9a1d7f302
Create Date: 2026-12-01 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd8a3f6b2c410'
down_revision = 'c5e9a1d7f302'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('school') as batch_op:
        batch_op.drop_column('language')
