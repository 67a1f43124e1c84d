"""Where an import puts a OneRoster file's identifier (import_job.identifier_field; empty: the personal file number).

Revision ID: 4de86768c158
Revises: 1484d8933d84
Create Date: 2026-12-06 14:24:16.996662

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4de86768c158'
down_revision = '1484d8933d84'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identifier_field', sa.String(length=30), nullable=True))



def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('identifier_field')

