"""`flask roster ...`: thin commands over the services."""

import click
from flask import current_app
from flask.cli import AppGroup

from roster.errors import RosterError
from roster.extensions import db
from roster.services import accounts, demo


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
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.ClickException(f"Use at least {current_app.config['PASSWORD_MIN_LENGTH']} characters.")
    try:
        accounts.create_user(email, password=password, is_platform_admin=True)
        db.session.commit()
    except (RosterError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Platform admin {email} created.")
