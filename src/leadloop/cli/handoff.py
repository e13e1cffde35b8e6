"""`leadloop worker`, `outbox`, `webhook`, `rep` and `sla`: the hand-off to sales."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Table

from leadloop.cli.context import DatabaseOption, WorkspaceOption, console, open_container
from leadloop.errors import ValidationError
from leadloop.store import handoffs, outbox

outbox_app = typer.Typer(help="Notifications waiting, delivered or dead-lettered.")
webhook_app = typer.Typer(help="Webhook endpoints that receive signed hand-off events.")
rep_app = typer.Typer(help="Sales reps, account owners and the assignment policy.")
sla_app = typer.Typer(help="Service levels: hand-offs sales did not answer in time.")

PolicyFile = typer.Argument(None, help="YAML policy to store; omit to show it.")


def register(app: typer.Typer) -> None:
    """Hang every hand-off command off the main app (one call from cli/main.py)."""
    app.command("worker")(worker)
    app.add_typer(outbox_app, name="outbox", no_args_is_help=True)
    app.add_typer(webhook_app, name="webhook", no_args_is_help=True)
    app.add_typer(rep_app, name="rep", no_args_is_help=True)
    app.add_typer(sla_app, name="sla", no_args_is_help=True)


def worker(
    once: bool = typer.Option(False, help="Deliver what is due now, check SLAs, then exit."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Deliver hand-off notifications (webhooks, e-mail) and escalate missed SLAs until stopped."""
    with open_container(database_url) as c:
        delivery = c.delivery_worker()
        if once:
            sent = delivery.run_once()
            escalated = delivery.check_service_levels()
            console.print(f"attempted {sent} notification(s), escalated {escalated} hand-off(s)")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        console.print(f"delivery worker [bold]{delivery.name}[/] running; Ctrl-C stops it")
        delivery.run(stop)


@outbox_app.command("list")
def outbox_list(
    status: str | None = typer.Option(None, help="pending, delivered or dead."),
    limit: int = typer.Option(50, help="Newest first, at most this many."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """List notifications with their delivery state and last error."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        table = Table("id", "delivery id", "channel", "event", "status", "attempts", "leads",
                      "last error")  # fmt: skip
        for item in outbox.list_items(c.engine, ws, status, limit):
            table.add_row(str(item.id), item.delivery_id, item.channel, item.event, item.status,
                          str(item.attempts), str(len(item.payload["items"])),
                          (item.last_error or "")[:60])  # fmt: skip
        console.print(table)


@outbox_app.command("replay")
def outbox_replay(
    notification: int | None = typer.Argument(None, help="Outbox id to send again."),
    dead: bool = typer.Option(False, "--dead", help="Replay every dead-lettered notification."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Queue a dead (or delivered) notification again; it keeps its delivery id."""
    if (notification is None) == (not dead):
        raise typer.BadParameter("give one outbox ID or --dead")
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        ids = outbox.replay(c.engine, ws, notification)
        console.print(f"queued again: {len(ids)} notification(s) {ids if ids else ''}".rstrip())


@webhook_app.command("add")
def webhook_add(
    url: str = typer.Argument(..., help="Receiver URL (http or https)."),
    secret: str | None = typer.Option(None, help="Signing secret (16+ characters)."),
    secret_env: str | None = typer.Option(
        None, help="Read the secret from this environment variable at delivery time instead."
    ),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Add an endpoint; without --secret/--secret-env a secret is generated and shown once."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        endpoint = c.webhooks.add(ws, url, secret=secret, secret_env=secret_env)
        console.print(f"webhook [bold]{endpoint.id}[/] added: {endpoint.url}")
        if endpoint.secret_env:
            console.print(f"secret read from ${endpoint.secret_env} at delivery time")
        elif secret is None:
            console.print(f"signing secret: [yellow]{endpoint.secret}[/] (shown only now)")


@webhook_app.command("list")
def webhook_list(
    workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption
) -> None:
    """List endpoints (secrets are never shown)."""
    with open_container(database_url) as c:
        table = Table("id", "url", "active", "secret from", "created")
        for e in c.webhooks.list(c.workspaces.workspace_id(workspace)):
            source = f"${e.secret_env}" if e.secret_env else "stored"
            table.add_row(str(e.id), e.url, "yes" if e.active else "no", source,
                          e.created_at.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
        console.print(table)


@webhook_app.command("remove")
def webhook_remove(
    endpoint: int = typer.Argument(..., help="Endpoint id."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Stop sending new events to an endpoint (what is queued is still delivered)."""
    with open_container(database_url) as c:
        c.webhooks.remove(c.workspaces.workspace_id(workspace), endpoint)
        console.print(f"webhook {endpoint} removed")


@rep_app.command("add")
def rep_add(
    email: str = typer.Argument(..., help="The rep's e-mail (hand-off e-mails go there)."),
    name: str | None = typer.Option(None, help="Display name."),
    manager: str | None = typer.Option(None, help="E-mail of the rep's manager (escalations)."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Add a sales rep who can receive sales-ready leads."""
    with open_container(database_url) as c:
        rep = c.reps.add(c.workspaces.workspace_id(workspace), email, name, manager)
        console.print(f"rep [bold]{rep.email}[/] added (id {rep.id})")


@rep_app.command("list")
def rep_list(workspace: str = WorkspaceOption, database_url: str | None = DatabaseOption) -> None:
    """List reps with their manager and whether they take leads."""
    with open_container(database_url) as c:
        team = c.reps.list(c.workspaces.workspace_id(workspace))
        by_id = {r.id: r for r in team}
        table = Table("id", "name", "e-mail", "manager", "active")
        for r in team:
            boss = by_id[r.manager_id].email if r.manager_id in by_id else ""
            table.add_row(str(r.id), r.name, r.email, boss, "yes" if r.active else "no")
        console.print(table)


@rep_app.command("deactivate")
def rep_deactivate(
    email: str = typer.Argument(...),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Stop assigning leads to a rep (their open hand-offs stay with them)."""
    with open_container(database_url) as c:
        c.reps.set_active(c.workspaces.workspace_id(workspace), email, False)
        console.print(f"rep {email} no longer receives leads")


@rep_app.command("activate")
def rep_activate(
    email: str = typer.Argument(...),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Assign leads to a rep again."""
    with open_container(database_url) as c:
        c.reps.set_active(c.workspaces.workspace_id(workspace), email, True)
        console.print(f"rep {email} receives leads again")


@rep_app.command("owner")
def rep_owner(
    account: int = typer.Argument(..., help="Account id."),
    email: str = typer.Argument(..., help="Rep who owns the account."),
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Make a rep the owner of an account (strategy `account_owner`)."""
    with open_container(database_url) as c:
        c.reps.set_account_owner(c.workspaces.workspace_id(workspace), account, email)
        console.print(f"account {account} is owned by {email}")


@rep_app.command("policy")
def rep_policy(
    file: Path | None = PolicyFile,
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Show or set how leads are assigned (strategies in order, territory rules)."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        if file is not None:
            c.reps.set_policy(ws, _read_yaml(file))
        policy = c.reps.policy(ws)
        console.print(f"strategies: {', '.join(policy.strategies)}")
        for rule in policy.territories:
            match = ", ".join(f"{k}={v}" for k, v in rule.match.items()) or "anything"
            console.print(f"  territory {rule.name}: {match} -> {', '.join(rule.reps)}")


def _read_yaml(file: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"{file}: cannot read the policy: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{file}: the policy must be a mapping with `strategies`")
    return data


@sla_app.command("report")
def sla_report(
    workspace: str = WorkspaceOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Per rep: hand-offs held, still pending, SLA breaches and escalations to the manager."""
    with open_container(database_url) as c:
        ws = c.workspaces.workspace_id(workspace)
        table = Table("rep", "e-mail", "hand-offs", "pending", "breaches", "escalated",
                      title="Service levels per rep")  # fmt: skip
        for line in handoffs.report(c.engine, ws):
            table.add_row(line.name, line.email, str(line.handed_off), str(line.pending),
                          str(line.breaches), str(line.escalated))  # fmt: skip
        console.print(table)
        hours = c.settings.sla_response_s / 3600
        console.print(f"service level: accept or reject within {hours:g} h")
