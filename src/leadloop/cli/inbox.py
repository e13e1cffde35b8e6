"""`leadloop inbox status|drain`: the ingest inbox (``LEADLOOP_INGEST_INBOX``) by hand.

`serve`'s background process drains the inbox on its own; these are for an ingest-only
node, a store restored after a crash, or a look at what waits.
"""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadloop.cli.context import DatabaseOption, console, open_container
from leadloop.services.inbox_drain import DrainResult
from leadloop.store.inbox import SqliteInbox

app = typer.Typer(help="The ingest inbox: what waits, and draining it into events now.")


@app.command("status")
def status(database_url: str | None = DatabaseOption) -> None:
    """How many accepted messages wait in the inbox, and where it lives."""
    with open_container(database_url) as c:
        inbox = c.inbox
        where = str(inbox.path) if isinstance(inbox, SqliteInbox) else "table `inbox` of the store"
        table = Table("inbox", "messages waiting", "drained by")
        table.add_row(
            where,
            f"{inbox.backlog():,}",
            "serve's background process"
            if c.uses_inbox
            else "nothing: LEADLOOP_INGEST_INBOX is off (run `leadloop inbox drain`)",
        )
        console.print(table)


@app.command("drain")
def drain(database_url: str | None = DatabaseOption) -> None:
    """Store every waiting request as events now (safe beside a running drain)."""
    with open_container(database_url) as c:
        drainer = c.drainer
        waiting = c.inbox.backlog()
        total = DrainResult()
        with Progress(
            TextColumn("draining"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=console,
        ) as bar:  # fmt: skip
            task = bar.add_task("drain", total=max(waiting, 1))
            while (result := drainer.drain_once()).batches:
                total = total + result
                bar.update(task, completed=total.stored + total.duplicates)
            bar.update(task, completed=max(waiting, 1))
        console.print(
            f"drained {total.batches:,} requests: {total.stored:,} events stored, "
            f"{total.duplicates:,} duplicates, {total.rejected:,} rejects kept in quarantine"
        )
