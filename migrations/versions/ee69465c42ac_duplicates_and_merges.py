"""Duplicate detection's keys (filled here for every student already on a list), pairs dismissed as two children,
and merges of two records (kept for their undo); an import's choices for its possible duplicates.

Revision ID: ee69465c42ac
Revises: 5d3d666339b3
Create Date: 2026-12-06 10:42:34.727552

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ee69465c42ac'
down_revision = '5d3d666339b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('duplicate_dismissal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_duplicate_dismissal_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_id'], ['student.id'], name=op.f('fk_duplicate_dismissal_first_id_student'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_duplicate_dismissal_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['student.id'], name=op.f('fk_duplicate_dismissal_second_id_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_dismissal')),
    sa.UniqueConstraint('first_id', 'second_id', name=op.f('uq_duplicate_dismissal_first_id_second_id'))
    )
    with op.batch_alter_table('duplicate_dismissal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicate_dismissal_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_dismissal_second_id'), ['second_id'], unique=False)

    op.create_table('duplicate_key',
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('wide', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('student_id', 'key', name=op.f('pk_duplicate_key')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('duplicate_key', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_key_school_id_key', ['school_id', 'key', 'wide', 'student_id'],
                              unique=False)

    op.create_table('student_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('taken', sa.JSON(), nullable=False),
    sa.Column('merged_values', sa.JSON(), nullable=False),
    sa.Column('added', sa.JSON(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_student_merge_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_id'], ['student.id'], name=op.f('fk_student_merge_merged_id_student'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_student_merge_school_id_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survivor_id'], ['student.id'], name=op.f('fk_student_merge_survivor_id_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_merge'))
    )
    with op.batch_alter_table('student_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_merge_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_merge_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_merge_survivor_id'), ['survivor_id'], unique=False)
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_choices', sa.JSON(), nullable=True))
    _fill_keys()


def _fill_keys():
    """Every student's keys, as roster.services.duplicates makes them, a thousand students a statement."""
    from roster.services.duplicates import keys, person

    connection = op.get_bind()
    key_table = sa.table('duplicate_key', sa.column('student_id'), sa.column('key'), sa.column('school_id'),
                         sa.column('wide'))
    last = 0
    while True:
        rows = connection.execute(sa.text(
            "SELECT id, school_id, last_name, first_name, middle_name, birth_date, phone_normalized, email, "
            "national_id FROM student WHERE id > :last AND status != 'merged' ORDER BY id LIMIT 1000"),
            {"last": last}).mappings().all()
        if not rows:
            return
        last = rows[-1]["id"]
        phones = {}
        for student_id, phone in connection.execute(sa.text(
                "SELECT student_id, phone FROM guardian WHERE student_id BETWEEN :first AND :last AND phone != ''"),
                {"first": rows[0]["id"], "last": last}):
            phones.setdefault(student_id, []).append({"phone": phone})
        records = []
        for row in rows:
            values = dict(row)
            if isinstance(values["birth_date"], str):  # SQLite hands a date back as text to plain SQL
                values["birth_date"] = date.fromisoformat(values["birth_date"][:10])
            one = person(values, phones.get(row["id"], ()), row["id"])
            records += [{"student_id": row["id"], "school_id": row["school_id"], "key": key, "wide": wide}
                        for key, wide in keys(one).items()]
        if records:
            connection.execute(key_table.insert(), records)



def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('duplicate_choices')
    with op.batch_alter_table('student_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_merge_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_student_merge_school_id'))
        batch_op.drop_index(batch_op.f('ix_student_merge_merged_id'))

    op.drop_table('student_merge')
    with op.batch_alter_table('duplicate_key', schema=None) as batch_op:
        batch_op.drop_index('ix_duplicate_key_school_id_key')

    op.drop_table('duplicate_key')
    with op.batch_alter_table('duplicate_dismissal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicate_dismissal_second_id'))
        batch_op.drop_index(batch_op.f('ix_duplicate_dismissal_school_id'))

    op.drop_table('duplicate_dismissal')
