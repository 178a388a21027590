"""`tianwang users ...`: who may use the console and the API (admin's commands)."""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth_model import Role
from api.auth_store import UserError, add_user, issue_token, list_users, revoke_user
from tianwang.cli_settings import ConfigOption, load_or_exit
from tianwang.service import prepared_engine

users_app = typer.Typer(help="Console and API users: add, list, revoke.", no_args_is_help=True)
T = TypeVar("T")


def _on_database(config: ConfigOption, work: Callable[..., Awaitable[T]]) -> T:
    settings = load_or_exit(config)

    async def run() -> T:
        engine = await prepared_engine(settings)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the user is for.")],
    grid: Annotated[
        list[str] | None, typer.Option(help="网格 id a grid_worker covers (repeat for more).")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="API token only: no console login.")
    ] = False,
    token: Annotated[bool, typer.Option("--token", help="Also issue an API token.")] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user; with --token the API token is printed once (only its hash is kept)."""
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not no_password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)

    async def work(engine: AsyncEngine) -> str | None:
        await add_user(
            engine,
            name,
            role,
            display_name=display_name,
            password=password,
            grids=grid,
        )
        return await issue_token(engine, name, "cli") if token else None

    issued = _on_database(config, work)
    typer.echo(f"added {name} ({role.value})", err=True)
    if issued is not None:
        typer.echo(issued)


@users_app.command("token")
def token_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Issue another API token for an active user (printed once)."""
    typer.echo(_on_database(config, lambda engine: issue_token(engine, name, label)))


@users_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    config: ConfigOption = None,
) -> None:
    """Every user with role, grids, and whether revoked (never a secret)."""
    for user in _on_database(config, list_users):
        if as_json:
            record = {
                "id": user.id,
                "display_name": user.display_name,
                "role": user.role.value,
                "grids": user.grids,
                "revoked": user.revoked_at is not None,
                "has_password": user.has_password,
                "tokens": user.tokens,
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            state = "REVOKED" if user.revoked_at else "active"
            grids = ",".join(user.grids) or "-"
            typer.echo(f"{user.id}\t{user.role.value}\t{state}\t{grids}\t{user.display_name}")


@users_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    config: ConfigOption = None,
) -> None:
    """Lock a user out now: login, tokens and open sessions."""
    _on_database(config, lambda engine: revoke_user(engine, name))
    typer.echo(f"revoked {name}", err=True)
