"""`flask roster ...`: thin commands over the services."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from roster import permissions, tasks
from roster.errors import RosterError
from roster.extensions import db
from roster.models import School
from roster.services import accounts, demo, importing, two_factor


@click.group("roster", cls=AppGroup)
def roster_cli():
    """Roster commands."""


@roster_cli.command("demo")
@click.option("--students", default=300, show_default=True, help="Students per school.")
def demo_command(students):
    """Load the demo platform (once), and print how to sign in."""
    created = demo.load(students)
    click.echo("Demo data loaded." if created else "Demo data is already there; nothing changed.")
    click.echo("")
    click.echo(f"Sign in at http://127.0.0.1:5000/login with password: {demo.DEMO_PASSWORD}")
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
    click.echo(f"Platform admin {email} created.")


@roster_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email):
    """Turn off someone's two-factor sign-in (a lost phone and lost recovery codes); they set it up again at
    their next sign-in where their role needs it."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the email or login {email!r}.")
    two_factor.turn_off(user.id, actor=permissions.SYSTEM, reason="reset on the command line")
    click.echo(f"Two-factor sign-in of {user.email} is off; they set it up again at their next sign-in.")


@roster_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
def import_command(path, slug, dry_run):
    """Import a CSV or XLSX student list into a school; exit 1 when rows failed."""
    school = db.session.scalar(select(School).where(School.slug == slug))
    if school is None:
        raise click.ClickException(f"No school with the slug {slug!r}.")
    try:
        job = importing.run_now(school.id, path.name, path.read_bytes(), actor=permissions.SYSTEM, dry_run=dry_run,
                                runner=tasks.runner_name())
    except RosterError as exc:
        raise click.ClickException(str(exc)) from exc
    if job.status == "failed":
        raise click.ClickException(job.message)
    made, changed = ("new", "to update") if dry_run else ("created", "updated")
    click.echo(f"{job.total_rows} rows: {job.created_count} {made}, {job.updated_count} {changed}, "
               f"{job.unchanged_count} unchanged, {job.error_count} with errors"
               + (" (dry run: nothing written)" if dry_run else ""))
    errors = (job.report or {}).get("errors", [])
    if job.error_count > len(errors):
        where = "the Import page's preview of this file" if dry_run else f"the import's page (/admin/imports/{job.id})"
        click.echo(f"  the first {len(errors)} rows with errors follow; all {job.error_count} are on {where} "
                   "to download", err=True)
    for row in errors:
        for column, message in row["errors"]:
            where = f"row {row['number']}, {column}" if column else f"row {row['number']}"
            click.echo(f"  {where}: {message}", err=True)
    if job.error_count:
        raise SystemExit(1)
