"""Two-factor sign-in: a staff member's TOTP secret (sealed), when it was turned on, its last step; recovery codes.
Sign-up claims: a sign-up with a roster student's email waits for the address to be proven.

Revision ID: c5e9a1d7f302
Revises: b3d8f2a6c911
Create Date: 2026-12-01 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e9a1d7f302'
down_revision = 'b3d8f2a6c911'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_digest', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    with op.batch_alter_table('recovery_code') as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)
    op.create_table(
        'sign_up_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_sign_up_claim_student_id_student'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_sign_up_claim_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_up_claim')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_sign_up_claim_token_digest')),
    )
    with op.batch_alter_table('sign_up_claim') as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_up_claim_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_up_claim_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('sign_up_claim')
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
