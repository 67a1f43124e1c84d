"""A credentials mail's waiting password is kept sealed (encrypted under SECRET_KEY), in a text column

Passwords of mails still waiting are sealed here; the derivation is roster.sealing's as of this revision.

Revision ID: e5b8c3f0a914
Revises: c27a9e5d13f0
Create Date: 2026-11-28 21:05:00

"""
import base64
import hashlib

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import current_app


revision = 'e5b8c3f0a914'
down_revision = 'c27a9e5d13f0'
branch_labels = None
depends_on = None

messages = sa.table('mail_message', sa.column('id', sa.Integer), sa.column('secret', sa.Text))


def _fernet() -> Fernet:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"roster: mail secret\x00" + key).digest()))


def upgrade():
    with op.batch_alter_table('mail_message') as batch_op:
        batch_op.alter_column('secret', type_=sa.Text(), existing_type=sa.String(length=200), existing_nullable=True)
    connection = op.get_bind()
    waiting = connection.execute(sa.select(messages.c.id, messages.c.secret).where(messages.c.secret.isnot(None)))
    for message_id, secret in waiting.all():
        sealed = _fernet().encrypt(secret.encode()).decode()
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(secret=sealed))


def downgrade():
    connection = op.get_bind()
    waiting = connection.execute(sa.select(messages.c.id, messages.c.secret).where(messages.c.secret.isnot(None)))
    for message_id, sealed in waiting.all():
        secret = _fernet().decrypt(sealed.encode()).decode()
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(secret=secret))
    with op.batch_alter_table('mail_message') as batch_op:
        batch_op.alter_column('secret', type_=sa.String(length=200), existing_type=sa.Text(), existing_nullable=True)
