"""API tokens and web accounts."""

from __future__ import annotations

import click

from workflow.cli.base import Context, db_option, handles_errors, main
from workflow.errors import InvalidInput


@main.group("token")
def token_group() -> None:
    """Bearer tokens for the JSON API."""


@token_group.command("create")
@click.option("--as", "username", required=True)
@db_option
@handles_errors
def token_create(username: str, db_url: str | None) -> None:
    """Print a new API token for USER (only its hash is stored; it is shown once)."""
    from workflow.services.tokens import create_token

    click.echo(create_token(Context(db_url).service(), username))


@token_group.command("revoke")
@click.option("--as", "username", required=True)
@db_option
@handles_errors
def token_revoke(username: str, db_url: str | None) -> None:
    """Revoke every API token of USER."""
    from workflow.services.tokens import revoke_tokens

    click.echo(f"revoked {revoke_tokens(Context(db_url).service(), username)} token(s) of {username}")


@main.group("user")
def user_group() -> None:
    """Web accounts."""


@user_group.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@db_option
@handles_errors
def user_password(username: str, password: str, db_url: str | None) -> None:
    """Set USERNAME's web password (hashed with scrypt)."""
    from workflow.services.tokens import set_password

    if len(password) < 8:
        raise InvalidInput("password: at least 8 characters", code="cli.password_too_short")
    set_password(Context(db_url).service(), username, password)
    click.echo(f"password set for {username}; their web sessions are ended")


@user_group.command("deactivate")
@click.argument("username")
@db_option
@handles_errors
def user_deactivate(username: str, db_url: str | None) -> None:
    """Deactivate USERNAME: no more logins, and every web session of theirs ends."""
    from workflow.services.tokens import deactivate

    deactivate(Context(db_url).service(), username)
    click.echo(f"deactivated {username}; their web sessions are ended")


@user_group.command("activate")
@click.argument("username")
@db_option
@handles_errors
def user_activate(username: str, db_url: str | None) -> None:
    """Let a deactivated USERNAME log in again."""
    from workflow.services.tokens import activate

    activate(Context(db_url).service(), username)
    click.echo(f"activated {username}")
