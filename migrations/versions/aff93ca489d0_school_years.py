"""School years: every school gets a first, current year chosen from the day the migration runs (the one from
1 September to 31 August that holds it: run on 6 December 2026, 2026/2027), and its sections belong to it. A past
year's links of students to sections will live in past_section_member. Schools' top grades: "9, 11".

Revision ID: aff93ca489d0
Revises: 3c604ab88bc2
Create Date: 2026-12-06 08:02:49.927945

"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


revision = 'aff93ca489d0'
down_revision = '3c604ab88bc2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('school_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_year_school_id_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_year')),
    sa.UniqueConstraint('school_id', 'title', name=op.f('uq_school_year_school_id_title'))
    )
    with op.batch_alter_table('school_year', schema=None) as batch_op:
        batch_op.create_index('uq_school_year_current', ['school_id'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.create_table('past_section_member',
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_past_section_member_section_id_section'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_past_section_member_student_id_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('student_id', 'section_id', name=op.f('pk_past_section_member'))
    )
    with op.batch_alter_table('past_section_member', schema=None) as batch_op:
        batch_op.create_index('ix_past_section_member_section_id_student_id', ['section_id', 'student_id'], unique=False)

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_grades', sa.String(length=40), server_default='9, 11', nullable=False))

    first = date.today().year if date.today().month >= 9 else date.today().year - 1
    school = sa.table('school', sa.column('id', sa.Integer()))
    school_year = sa.table('school_year', sa.column('school_id', sa.Integer()), sa.column('title', sa.String()),
                           sa.column('start', sa.Date()), sa.column('end', sa.Date()),
                           sa.column('is_current', sa.Boolean()), sa.column('id', sa.Integer()))
    op.get_bind().execute(sa.insert(school_year).from_select(
        ['school_id', 'title', 'start', 'end', 'is_current'],
        sa.select(school.c.id, sa.literal(f"{first}/{first + 1}", sa.String()), sa.literal(date(first, 9, 1), sa.Date()),
                  sa.literal(date(first + 1, 9, 1) - timedelta(days=1), sa.Date()), sa.true())))

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year_id', sa.Integer(), nullable=True))
    section = sa.table('section', sa.column('school_id', sa.Integer()), sa.column('year_id', sa.Integer()))
    op.get_bind().execute(sa.update(section).values(year_id=sa.select(school_year.c.id).where(
        school_year.c.school_id == section.c.school_id).scalar_subquery()))

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.alter_column('year_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_section_school_id_name'), type_='unique')
        batch_op.create_index(batch_op.f('ix_section_year_id'), ['year_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_section_year_id_name'), ['year_id', 'name'])
        batch_op.create_foreign_key(batch_op.f('fk_section_year_id_school_year'), 'school_year', ['year_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_section_year_id_school_year'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_section_year_id_name'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_section_year_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_section_school_id_name'), ['school_id', 'name'])
        batch_op.drop_column('year_id')

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('top_grades')

    with op.batch_alter_table('past_section_member', schema=None) as batch_op:
        batch_op.drop_index('ix_past_section_member_section_id_student_id')

    op.drop_table('past_section_member')
    with op.batch_alter_table('school_year', schema=None) as batch_op:
        batch_op.drop_index('uq_school_year_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.drop_table('school_year')
