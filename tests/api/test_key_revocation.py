"""API keys from the command line, on SQLite and PostgreSQL: list them by prefix, revoke one
(a leaked write key), and the server refuses it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from api_helpers import in_process_api
from typer.testing import CliRunner

from leadloop.cli.main import app

if TYPE_CHECKING:
    from conftest import StoreHandle, Workspace
    from leadloop.bootstrap import Container

runner = CliRunner()


def _key(args: list[str], store: StoreHandle) -> str:
    result = runner.invoke(app, [*args, "--database-url", store.url])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_list_and_revoke_a_key_by_its_prefix(
    store: StoreHandle, container: Container, workspace: Workspace
) -> None:
    spare = _key(["key", "create", "-w", "acme", "--name", "tag manager"], store)
    listed = runner.invoke(app, ["key", "list", "-w", "acme", "--database-url", store.url])
    assert listed.exit_code == 0, listed.output
    prefixes = re.findall(r"(ll_[wa]_\S{5})", listed.output)
    assert prefixes == [workspace.write_key[:10], workspace.admin_key[:10], spare[:10]]
    assert spare not in listed.output  # only prefixes are ever shown

    revoked = runner.invoke(app, ["key", "revoke", spare[:8], "-w", "acme",
                                  "--database-url", store.url])  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked write key {spare[:10]}" in revoked.output
    assert container.workspaces.authenticate(spare) is None
    assert container.workspaces.authenticate(workspace.write_key) is not None
    rows = {k.prefix: k for k in container.workspaces.list_keys(workspace.id)}
    assert rows[spare[:10]].revoked_at is not None and rows[spare[:10]].name == "tag manager"

    with in_process_api(container, spare, workspace.id) as api:  # a server that starts now
        refused = api.send("/v1/track", {"anonymousId": "a", "event": "Viewed"})
        assert refused.status_code == 401 and "revoked" in refused.json()["message"]

    again = runner.invoke(app, ["key", "revoke", spare[:10], "-w", "acme",
                                "--database-url", store.url])  # fmt: skip
    assert again.exit_code != 0 and "no live key" in again.output


def test_a_short_or_shared_prefix_is_refused_with_what_to_do(
    store: StoreHandle, container: Container, workspace: Workspace
) -> None:
    short = runner.invoke(app, ["key", "revoke", "ll_w", "-w", "acme",
                                "--database-url", store.url])  # fmt: skip
    assert short.exit_code != 0 and "at least the first 6 characters" in short.output
    for tail in ("one", "two"):  # two keys whose prefixes are the same
        container.workspaces.create_key(workspace.id, scope="write", key=f"ll_w_SAMEx{tail}" * 3)
    shared = runner.invoke(app, ["key", "revoke", "ll_w_SA", "-w", "acme",
                                 "--database-url", store.url])  # fmt: skip
    assert shared.exit_code != 0 and "give more of the prefix" in shared.output
    assert container.workspaces.authenticate(workspace.write_key) is not None
