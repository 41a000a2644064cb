"""The engine's commands: start an instance, the open tasks, act, reassign, history, status."""

from __future__ import annotations

import click

from workflow.cli.base import Context, db_option, emit, handles_errors, main
from workflow.errors import InvalidInput


@main.command()
@click.argument("sop_key")
@click.option("--unit", required=True, help="Unit code, e.g. kutorejo.")
@click.option("--period", required=True, help="2024-TW1 for a triwulan SOP, 2024 for a yearly one.")
@click.option("--as", "username", required=True, help="The user who starts it.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def start(sop_key: str, unit: str, period: str, username: str, as_json: bool, db_url: str | None) -> None:
    """Start an SOP instance for a unit and period."""
    result = Context(db_url).service().start(sop_key, unit, period, username)
    if as_json:
        emit({"instance_id": result.instance_id, "state": result.state})
    else:
        click.echo(f"instance {result.instance_id} started at {result.state}")


@main.command()
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def tasks(username: str, as_json: bool, db_url: str | None) -> None:
    """The open tasks this user can act on."""
    views = Context(db_url).service().tasks_for(username)
    if as_json:
        emit([v.as_json() for v in views])
        return
    if not views:
        click.echo(f"no open tasks for {username}")
    for v in views:
        due = v.as_json()["due_at"] or "-"
        click.echo(
            f"#{v.id:<5} {v.sop_key} {v.period} step {v.step_no} {v.step_name} [{v.role}] "
            f"due {due} actions: {', '.join(v.actions)}"
        )


@main.command()
@click.argument("task_id", type=int)
@click.argument("action")
@click.option("--as", "username", required=True)
@click.option("--note", default=None, help="Required for return.")
@click.option(
    "--row",
    "rows",
    multiple=True,
    metavar="CODE=NOTE",
    help="With return on a review: return only this indicator row, with its note (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def act(
    task_id: int, action: str, username: str, note: str | None, rows: tuple[str, ...], as_json: bool, db_url: str | None
) -> None:
    """Take ACTION (done, approve, return, paraf, sign, archive) on a task."""
    returned: dict[str, str] = {}
    for item in rows:
        code, sep, row_note = item.partition("=")
        if not sep or not code.strip():
            raise InvalidInput(f"row: {item!r} must be CODE=NOTE", code="cli.row_format", item=item)
        returned[code.strip()] = row_note
    r = Context(db_url).service().act(task_id, action, username, note, returned or None)
    data = {
        "task_id": r.task_id,
        "instance_id": r.instance_id,
        "action": r.action,
        "from_state": r.from_state,
        "to_state": r.to_state,
        "opened_task_ids": list(r.opened_task_ids),
    }
    if as_json:
        emit(data)
    else:
        click.echo(f"task {r.task_id} {r.action}: {r.from_state} -> {r.to_state}")


@main.command()
@click.argument("task_id", type=int)
@click.option("--to", "to_username", required=True, help="Who takes the task over (holds its role in the unit).")
@click.option("--as", "username", required=True, help="The Camat, Sekretaris Camat or an administrator.")
@click.option("--note", required=True, help="Why (mutasi, pensiun, cuti panjang …).")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def reassign(task_id: int, to_username: str, username: str, note: str, as_json: bool, db_url: str | None) -> None:
    """Give an open task of one person (an ASN who left the position) to someone who holds its role."""
    r = Context(db_url).service().reassign(task_id, to_username, username, note)
    if as_json:
        emit(r.as_json())
    else:
        click.echo(f"task {r.task_id}: {r.from_username or '-'} -> {r.to_username}")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def history(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """The audit events of an instance, oldest first."""
    events = Context(db_url).service().history(instance_id)
    if as_json:
        emit([e.as_json() for e in events])
        return
    for e in events:
        j = e.as_json()
        acting = f" (Plt. {e.acting_for})" if e.acting_for else ""
        note = f" — {e.note}" if e.note else ""
        click.echo(f"{j['at']} {e.actor} [{e.role}]{acting} {e.action}: {e.from_state} -> {e.to_state}{note}")


@main.command()
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def status(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """Where an instance stands and who has not finished yet."""
    st = Context(db_url).service().status(instance_id)
    if as_json:
        emit(st.as_json())
        return
    click.echo(f"instance {st.id} {st.sop_key} v{st.sop_version} {st.unit} {st.period}: {st.state}")
    for w in st.waiting_on:
        click.echo(f"  waiting on task {w.task_id} [{w.role}] {w.assignee or '(any holder)'}")
