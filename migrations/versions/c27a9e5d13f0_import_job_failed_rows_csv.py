"""Import jobs keep their failed rows as CSV beside the report, and the report keeps the first 1,000 errors

The report is read at each view of a job's page; with every failed row's cells in it, a file of 100,000 bad rows
made it tens of MB of JSON.

Revision ID: c27a9e5d13f0
Revises: 8d41f0a2c6e3
Create Date: 2026-11-28 21:20:00

"""
import csv
import io

from alembic import op
import sqlalchemy as sa


revision = 'c27a9e5d13f0'
down_revision = '8d41f0a2c6e3'
branch_labels = None
depends_on = None

REPORT_ERRORS = 1000
jobs = sa.table('import_job', sa.column('id', sa.Integer), sa.column('report', sa.JSON),
                sa.column('failed_rows_csv', sa.LargeBinary))


def upgrade():
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.add_column(sa.Column('failed_rows_csv', sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    for job_id, report in connection.execute(sa.select(jobs.c.id, jobs.c.report)).all():
        if not report or 'failed' not in report:
            continue
        failed = report.pop('failed') or {}
        data = None
        if failed.get('rows'):
            text = io.StringIO(newline='')
            writer = csv.writer(text)
            writer.writerow(failed['headers'])
            writer.writerows(failed['rows'])
            data = text.getvalue().encode('utf-8')
        report['errors'] = (report.get('errors') or [])[:REPORT_ERRORS]
        connection.execute(sa.update(jobs).where(jobs.c.id == job_id).values(report=report, failed_rows_csv=data))


def downgrade():
    connection = op.get_bind()
    for job_id, report, data in connection.execute(
            sa.select(jobs.c.id, jobs.c.report, jobs.c.failed_rows_csv)).all():
        if data:
            rows = list(csv.reader(io.StringIO(data.decode('utf-8'), newline='')))
            report = dict(report or {}, failed={'headers': rows[0], 'rows': rows[1:]})
            connection.execute(sa.update(jobs).where(jobs.c.id == job_id).values(report=report))
    with op.batch_alter_table('import_job') as batch_op:
        batch_op.drop_column('failed_rows_csv')
