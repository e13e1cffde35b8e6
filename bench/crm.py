"""CRM pull and import benchmark: records/s and peak RSS per way in.

    .venv/bin/python bench/crm.py [--count 1000000] [--out bench/out]

Each phase runs in its own process (so its peak RSS is its own) against a local TLS
Salesforce (bench/crm_fake.py, records generated on demand):

- ``raw-soql``: requests + JSON over the same pages (the same-run reference);
- ``soql-pull``: simple-salesforce SOQL with nextRecordsUrl, mapped and validated;
- ``bulk-pull``: Bulk API 2.0 query job, CSV results by locator, mapped and validated;
- ``soql-sync``: the full sync into a fresh SQLite store (contact-role query per page);
- ``raw-csv``: csv.DictReader over the opportunities CSV (reference);
- ``csv-import``: ``import_opportunities`` of the same rows into a fresh SQLite store.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("raw-soql", "soql-pull", "bulk-pull", "soql-sync", "raw-csv", "csv-import")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(url: str, ca: str, db: Path | None = None) -> Any:
    from leadloop.config import Settings

    extra = {"database_url": f"sqlite:///{db}"} if db else {}
    return Settings(
        salesforce_login_url=url,
        salesforce_instance_url=url,
        salesforce_client_id="bench",
        salesforce_client_secret="bench",
        crm_ca_bundle=ca,
        crm_page_size=2000,
        salesforce_daily_reserve=0,
        **extra,
    )


def _store(db: Path) -> Any:
    from leadloop.bootstrap import bootstrap
    from leadloop.store.migrate import upgrade

    c = bootstrap(_settings("https://x", "x", db))
    upgrade(c.engine)
    c.workspaces.create_workspace("bench")
    return c


def phase(name: str, url: str, ca: str, csv_path: Path, work: Path) -> dict[str, Any]:
    """Run one phase in this process; return its count and seconds."""
    from leadloop.bootstrap import crm_connector
    from leadloop.domain.crm_mapping import opportunity_from_record

    started = time.perf_counter()
    count = 0
    if name == "raw-soql":
        import requests

        http = requests.Session()
        headers = {"Authorization": "Bearer x", "Sforce-Query-Options": "batchSize=2000"}
        first = f"{url}/services/data/v60.0/query/"
        params = {"q": "SELECT Id FROM Opportunity"}
        page = http.get(first, params=params, headers=headers, verify=ca).json()
        while True:
            count += len(page["records"])
            if page["done"]:
                break
            page = http.get(url + page["nextRecordsUrl"], headers=headers, verify=ca).json()
    elif name in ("soql-pull", "bulk-pull"):
        connector, mapping, stages = crm_connector(_settings(url, ca), "salesforce")
        connector.bulk_wait = 0.01
        for raws in connector.opportunities(None, bulk=name == "bulk-pull"):
            for raw in raws:
                opportunity_from_record(raw, mapping, stages)
                count += 1
    elif name == "soql-sync":
        from leadloop.services.crm_sync import sync_opportunities

        c = _store(work / "sync.db")
        connector, mapping, stages = crm_connector(_settings(url, ca), "salesforce")
        started = time.perf_counter()
        report = sync_opportunities(
            c.crm, c.crm_state, connector, workspace_id=1, mapping=mapping, stages=stages
        )
        count = report.created
    elif name == "raw-csv":
        with csv_path.open(newline="") as f:
            count = sum(1 for _ in csv.DictReader(f))
    elif name == "csv-import":
        from leadloop.services.imports import import_opportunities

        c = _store(work / "import.db")
        started = time.perf_counter()
        count = import_opportunities(c.crm, workspace_id=1, path=csv_path, source="bench").stored
    seconds = time.perf_counter() - started
    return {
        "phase": name,
        "records": count,
        "seconds": round(seconds, 2),
        "records_per_s": round(count / seconds),
        "peak_rss_mib": round(_rss_mib()),
    }


def _write_csv(path: Path, count: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from crm_fake import record

    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "crm_id",
                "name",
                "amount",
                "stage",
                "created_at",
                "close_date",
                "owner",
                "type",
                "last_modified",
                "account_domain",
                "account_name",
            ]
        )
        for i in range(count):
            r = record(i)
            writer.writerow(
                [
                    r["Id"],
                    r["Name"],
                    r["Amount"],
                    r["StageName"],
                    r["CreatedDate"],
                    r["CloseDate"],
                    r["Owner.Name"],
                    r["Type"],
                    r["SystemModstamp"],
                    r["Account.Website"],
                    r["Account.Name"],
                ]
            )


def _serve(work: Path, count: int) -> tuple[subprocess.Popen[bytes], str, str]:
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(work / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(work / "srv.pem"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "crm_fake.py"),
            str(port),
            str(work / "srv.pem"),
            str(count),
        ]
    )
    url = f"https://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return server, url, str(work / "ca.pem")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--url")
    parser.add_argument("--ca")
    args = parser.parse_args()
    work = args.out / "crm"
    csv_path = work / "opportunities.csv"
    if args.phase:
        print(json.dumps(phase(args.phase, args.url, args.ca, csv_path, work)))
        return 0
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("*.db*"):
        stale.unlink()
    _write_csv(csv_path, args.count)
    server, url, ca = _serve(work, args.count)
    results = []
    try:
        for name in PHASES:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--phase",
                    name,
                    "--url",
                    url,
                    "--ca",
                    ca,
                    "--count",
                    str(args.count),
                    "--out",
                    str(args.out),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"| way in | records | seconds | records/s | peak RSS MiB |  (count={args.count:,})")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['phase']} | {r['records']:,} | {r['seconds']} | {r['records_per_s']:,} "
            f"| {r['peak_rss_mib']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
