"""The `sakip` command: the engine's commands plus `serve`, which needs the web app.

`workflow/` never imports Flask, so the one command that runs the web server lives here. It
imports Flask and waitress only when `serve` runs: every other command starts without them.
"""

from __future__ import annotations

import logging

import click

from workflow.cli import Context, db_option, handles_errors, main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-scheduler", is_flag=True, help="Serve only; a separate `sakip scheduler` runs the passes.")
@db_option
@handles_errors
def serve(host: str, port: int, no_scheduler: bool, db_url: str | None) -> None:
    """Serve the web app (waitress) with the scheduler in-process: the embedded default."""
    from waitress import serve as waitress_serve

    from web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = Context(db_url)
    # One runtime for both: the web and the scheduler share the database, the SOP registry and the services.
    app = create_app(runtime=ctx.runtime)
    scheduler = None
    if not no_scheduler:
        scheduler = ctx.scheduler().start_background(ctx.config.scheduler_interval)
    click.echo(f"serving on http://{host}:{port}/ ({ctx.db.dialect}, scheduler {'off' if no_scheduler else 'on'})")
    try:
        waitress_serve(app, host=host, port=port)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


__all__ = ["main"]
