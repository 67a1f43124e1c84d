"""`flask roster ...`: thin commands over the services. Their messages are in the platform's language
(BABEL_DEFAULT_LOCALE), as the operator's."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from roster import i18n, labels, permissions, tasks
from roster.errors import RosterError
from roster.extensions import db
from roster.models import School
from roster.services import accounts, demo, importing, retention, two_factor


@click.group("roster", cls=AppGroup)
def roster_cli():
    """Roster commands."""


@roster_cli.command("demo")
@click.option("--students", default=300, show_default=True, help="Students per school.")
def demo_command(students):
    """Load the demo platform (once), and print how to sign in."""
    created = demo.load(students, history=True)
    click.echo(_("Demo data loaded.") if created else _("Demo data is already there; nothing changed."))
    click.echo("")
    click.echo(_("Sign in at %(url)s with password: %(password)s", url="http://127.0.0.1:5000/login",
                 password=demo.DEMO_PASSWORD))
    for login, what in demo.staff_logins():
        click.echo(f"  {login:<34} {what}")


@roster_cli.command("create-platform-admin")
@click.argument("email")
@click.password_option()
def create_platform_admin(email, password):
    """Create a platform admin (the first account of a new installation)."""
    if problem := accounts.password_problem(password):
        raise click.ClickException(problem)
    try:
        accounts.create_user(email, password=password, is_platform_admin=True)
        db.session.commit()
    except (RosterError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("Platform admin %(email)s created.", email=email))


@roster_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email):
    """Turn off someone's two-factor sign-in (a lost phone and lost recovery codes); they set it up again at
    their next sign-in where their role needs it."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(_("No account with the email or login %(email)s.", email=repr(email)))
    two_factor.turn_off(user.id, actor=permissions.SYSTEM, reason="reset on the command line")
    click.echo(_("Two-factor sign-in of %(email)s is off; they set it up again at their next sign-in.",
                 email=user.email))


@roster_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
def import_command(path, slug, dry_run):
    """Import a CSV or XLSX student list into a school; exit 1 when rows failed."""
    school = db.session.scalar(select(School).where(School.slug == slug))
    if school is None:
        raise click.ClickException(_("No school with the slug %(slug)s.", slug=repr(slug)))
    try:
        job = importing.run_now(school.id, path.name, path.read_bytes(), actor=permissions.SYSTEM, dry_run=dry_run,
                                runner=tasks.runner_name())
    except RosterError as exc:
        raise click.ClickException(str(exc)) from exc
    if job.status == "failed":
        raise click.ClickException(i18n.message(job.message))
    counts = {"rows": job.total_rows, "new": job.created_count, "update": job.updated_count,
              "unchanged": job.unchanged_count, "errors": job.error_count}
    if dry_run:
        click.echo(_("%(rows)s rows: %(new)s new, %(update)s to update, %(unchanged)s unchanged, %(errors)s with "
                     "errors (dry run: nothing written)", **counts))
    else:
        click.echo(_("%(rows)s rows: %(new)s created, %(update)s updated, %(unchanged)s unchanged, %(errors)s with "
                     "errors", **counts))
    errors = (job.report or {}).get("errors", [])
    if job.error_count > len(errors):
        if dry_run:
            click.echo(_("  the first %(shown)s rows with errors follow; all %(count)s are on the Import page's "
                         "preview of this file to download", shown=len(errors), count=job.error_count), err=True)
        else:
            click.echo(_("  the first %(shown)s rows with errors follow; all %(count)s are on the import's page "
                         "(%(url)s) to download", shown=len(errors), count=job.error_count,
                         url=f"/admin/imports/{job.id}"), err=True)
    for row in errors:
        for column, message in row["errors"]:
            if column:
                click.echo(_("  row %(row)s, %(column)s: %(message)s", row=row["number"], column=column,
                             message=message), err=True)
            else:
                click.echo(_("  row %(row)s: %(message)s", row=row["number"], message=message), err=True)
    if job.error_count:
        raise SystemExit(1)


@roster_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
def purge_command(dry_run):
    """Remove what is past its retention period (pending sign-ups, expired invitations, mail bodies, import
    reports, old audit events); for cron where no Celery beat runs."""
    counts = retention.purge(dry_run=dry_run)
    heading = _("Would remove (dry run: nothing removed):") if dry_run else _("Removed:")
    click.echo(heading)
    for kind, _setting in retention.KINDS:
        click.echo(f"  {labels.retention_kind(kind)}: {counts[kind]}")
