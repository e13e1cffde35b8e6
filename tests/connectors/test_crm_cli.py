"""`leadloop crm sync|status|push` through CliRunner, credentials from the environment."""

from __future__ import annotations

import logging

from crm_helpers import crm_env, sf_opportunity
from typer.testing import CliRunner

from leadloop.cli.main import app
from leadloop.store.records import ContactRecord

runner = CliRunner()


def _invoke(container, crm_server, *args, **env):
    return runner.invoke(
        app,
        [*args, "--database-url", container.settings.database_url],
        env={**crm_env(crm_server), "COLUMNS": "200", **env},
    )


def test_sync_then_status_reports_the_cursor_and_the_failed_record(
    container, workspace, crm_server, crm, caplog
):
    crm.salesforce.put("Opportunity", **sf_opportunity(1))
    crm.salesforce.put("Opportunity", **sf_opportunity(2, StageName=None))
    caplog.set_level(logging.DEBUG)

    synced = _invoke(container, crm_server, "crm", "sync", "salesforce", "-w", "acme")

    assert synced.exit_code == 0, synced.output
    assert "salesforce opportunities: ok" in synced.output
    assert (
        "failed 006000000000000002: opportunity 006000000000000002: stage is missing"
        in synced.output
    )
    status = _invoke(container, crm_server, "crm", "status", "-w", "acme")
    assert status.exit_code == 0, status.output
    assert "2026-02-01T10:00:02+00:00" in status.output
    assert "records waiting for a retry" in status.output and "stage is missing" in status.output
    assert "csecret" not in caplog.text and "csecret" not in synced.output


def test_sync_with_bad_credentials_exits_1_with_a_clear_message(
    container, workspace, crm_server, crm
):
    result = _invoke(
        container,
        crm_server,
        "crm",
        "sync",
        "salesforce",
        "-w",
        "acme",
        LEADLOOP_SALESFORCE_CLIENT_SECRET="wrong-secret",
    )
    assert result.exit_code == 1
    assert "Salesforce refused the client_credentials sign-in" in result.output
    assert "wrong-secret" not in result.output


def test_credentials_can_come_from_a_secrets_file(container, workspace, crm_server, crm, tmp_path):
    secrets = tmp_path / "crm-secrets.yaml"
    secrets.write_text("salesforce_client_id: cid\nsalesforce_client_secret: csecret\n")
    env = crm_env(crm_server)
    env.pop("LEADLOOP_SALESFORCE_CLIENT_SECRET")
    result = runner.invoke(
        app,
        [
            "crm",
            "sync",
            "salesforce",
            "-w",
            "acme",
            "--database-url",
            container.settings.database_url,
        ],
        env={
            **env,
            "LEADLOOP_SALESFORCE_CLIENT_SECRET": None,
            "LEADLOOP_CRM_SECRETS_FILE": str(secrets),
        },
    )
    assert result.exit_code == 0, result.output


def test_push_sends_the_contact_to_hubspot(container, workspace, crm_server, crm):
    container.directory.upsert_contacts(
        workspace.id, [ContactRecord(email="ana@acme.example", name="Ana Silva")], []
    )

    result = _invoke(
        container,
        crm_server,
        "crm",
        "push",
        "hubspot",
        "--email",
        "ana@acme.example",
        "--reason",
        "downloaded the coverage map",
        "-w",
        "acme",
    )

    assert result.exit_code == 0, result.output
    assert "contact 1001 created" in result.output
    (note,) = crm.calls("POST", "/crm/v3/objects/notes")
    assert "downloaded the coverage map" in note.json()["properties"]["hs_note_body"]
