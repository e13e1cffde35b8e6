"""`leadloop rep|webhook|outbox|sla|worker` with Typer's CliRunner on the real store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from handoff_helpers import Receiver, make_contact, request_for
from leadloop.cli.main import app
from leadloop.logging import configure_logging
from leadloop.services.handoff import hand_off

runner = CliRunner()


def cli(store, *args: str, workspace: bool = True) -> str:  # type: ignore[no-untyped-def]
    scope = ["--workspace", "acme"] if workspace else []
    result = runner.invoke(app, [*args, *scope, "--database-url", store.url])
    assert result.exit_code == 0, result.output
    configure_logging("WARNING")  # the runner closed the stream the command logged to
    return result.output


def test_reps_policy_webhook_worker_outbox_and_sla_report(
    store, container, workspace, receiver: Receiver, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    assert "added" in cli(store, "rep", "add", "maria@sales.example", "--name", "Maria")
    cli(
        store,
        "rep",
        "add",
        "rita@sales.example",
        "--name",
        "Rita",
        "--manager",
        "maria@sales.example",
    )
    cli(store, "rep", "deactivate", "maria@sales.example")
    listed = cli(store, "rep", "list")
    assert "rita@sales.example" in listed and "maria@sales.example" in listed
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "strategies: [territory, round_robin]\nterritories:\n"
        "  - {name: emea, match: {region: EMEA}, reps: [rita@sales.example]}\n"
    )
    shown = cli(store, "rep", "policy", str(policy))
    assert "strategies: territory, round_robin" in shown and "region=EMEA" in shown
    added = cli(store, "webhook", "add", receiver.url)
    secret = added.split("signing secret: ")[1].split()[0]
    assert secret.startswith("whsec_") and secret not in cli(store, "webhook", "list")
    receiver.secret = secret
    monkeypatch.setenv("CRM_HOOK_SECRET", "from-the-environment-123")
    via_env = cli(
        store, "webhook", "add", "https://crm.example/h", "--secret-env", "CRM_HOOK_SECRET"
    )
    assert "$CRM_HOOK_SECRET" in via_env and "from-the-environment" not in via_env
    cli(store, "webhook", "remove", "2")

    contact, account = make_contact(container.engine, workspace.id, "Ana", "ana@acme.example")
    with container.engine.begin() as conn:
        stored = hand_off(conn, request_for(workspace.id, contact, account, region="EMEA"))
    receiver.statuses.append(404)
    assert "attempted 1 notification(s)" in cli(store, "worker", "--once", workspace=False)
    assert "dead" in cli(store, "outbox", "list", "--status", "dead")
    assert "queued again: 1" in cli(store, "outbox", "replay", "--dead")
    cli(store, "worker", "--once", workspace=False)
    assert len(receiver.delivered()) == 1

    assert container.delivery_worker().check_service_levels(stored.due_at + timedelta(1)) == 1
    report = cli(store, "sla", "report")
    rita = next(line for line in report.splitlines() if "rita@sales.example" in line)
    # hand-offs, pending, breaches, escalated
    assert [cell.strip() for cell in rita.split("│")[3:7]] == ["1", "1", "1", "1"]


def test_errors_say_what_to_do(store, workspace) -> None:  # type: ignore[no-untyped-def]
    bad = runner.invoke(app, ["rep", "add", "rita@sales.example", "--manager", "boss@x.example",
                              "--workspace", "acme", "--database-url", store.url])  # fmt: skip
    assert bad.exit_code == 1 and "rep add boss@x.example" in bad.output.replace("\n", " ")
    neither = runner.invoke(app, ["outbox", "replay", "--workspace", "acme",
                                  "--database-url", store.url])  # fmt: skip
    assert neither.exit_code == 2 and "give one outbox ID or --dead" in neither.output
