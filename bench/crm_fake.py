"""A lean local Salesforce for bench/crm.py: N generated opportunities, nothing stored.

Serves the endpoints the connector calls (OAuth token, /limits, SOQL /query with
nextRecordsUrl paging, Bulk API 2.0 query jobs with CSV results) over TLS, generating
record ``i`` on demand so a million-row pull costs the server no memory.

    python bench/crm_fake.py PORT CERTFILE COUNT
"""

from __future__ import annotations

import csv
import io
import re
import sys

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

TOKEN = "00Dbench!token"
FIELDS = (
    "Id",
    "Name",
    "Amount",
    "StageName",
    "IsClosed",
    "IsWon",
    "CreatedDate",
    "CloseDate",
    "Owner.Name",
    "Type",
    "SystemModstamp",
    "AccountId",
    "Account.Website",
    "Account.Name",
)
STAGES = ("Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost")


def record(i: int) -> dict[str, object]:
    stage = STAGES[i % 5]
    return {
        "Id": f"006{i:015d}",
        "Name": f"Deal {i}",
        "Amount": float(1000 + i % 9000),
        "StageName": stage,
        "IsClosed": stage.startswith("Closed"),
        "IsWon": stage == "Closed Won",
        "CreatedDate": "2026-01-01T09:00:00.000+0000",
        "CloseDate": "2026-03-31",
        "Owner.Name": f"Rep {i % 40}",
        "Type": "New Customer" if i % 3 else "Existing Customer - Upgrade",
        "SystemModstamp": f"2026-02-{1 + i // 86400 % 28:02d}T{i // 3600 % 24:02d}:"
        f"{i // 60 % 60:02d}:{i % 60:02d}.000+0000",
        "AccountId": f"001{i % 5000:015d}",
        "Account.Website": f"https://www.account{i % 5000}.example",
        "Account.Name": f"Account {i % 5000}",
    }


def nested(i: int) -> dict[str, object]:
    flat = record(i)
    out: dict[str, object] = {"attributes": {"type": "Opportunity"}}
    for key, value in flat.items():
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {"attributes": {"type": head}})[tail] = value  # type: ignore[index]
        else:
            out[key] = value
    return out


def build(count: int) -> FastAPI:
    app = FastAPI()

    def page(version: str, start: int, size: int) -> Response:
        end = min(start + size, count)
        records = [nested(i) for i in range(start, end)]
        body: dict[str, object] = {"totalSize": count, "done": end >= count, "records": records}
        if end < count:
            body["nextRecordsUrl"] = f"/services/data/{version}/query/01gBENCH-{end}-{size}"
        return Response(orjson.dumps(body), media_type="application/json")

    @app.post("/services/oauth2/token")
    async def token() -> Response:
        return Response(
            orjson.dumps({"access_token": TOKEN, "instance_url": ""}), media_type="application/json"
        )

    @app.get("/services/data/{version}/limits/")
    async def limits() -> Response:
        body = {"DailyApiRequests": {"Max": 5_000_000, "Remaining": 5_000_000}}
        return Response(orjson.dumps(body), media_type="application/json")

    @app.get("/services/data/{version}/query/")
    async def query(version: str, request: Request) -> Response:
        if "FROM OpportunityContactRole" in request.query_params["q"]:
            return Response(
                b'{"totalSize":0,"done":true,"records":[]}', media_type="application/json"
            )
        size = int(
            re.search(
                r"batchSize=(\d+)", request.headers.get("sforce-query-options", "batchSize=2000")
            )[1]
        )  # type: ignore[index]
        return page(version, 0, size)

    @app.get("/services/data/{version}/query/{locator}")
    async def more(version: str, locator: str) -> Response:
        _, start, size = locator.split("-")
        return page(version, int(start), int(size))

    @app.post("/services/data/{version}/jobs/query")
    async def create_job() -> Response:
        return Response(
            b'{"id":"750BENCH","state":"UploadComplete"}', media_type="application/json"
        )

    @app.get("/services/data/{version}/jobs/query/{job}")
    async def job_state(job: str) -> Response:
        return Response(b'{"id":"750BENCH","state":"JobComplete"}', media_type="application/json")

    @app.get("/services/data/{version}/jobs/query/{job}/results")
    async def results(job: str, request: Request) -> Response:
        start = int(request.query_params.get("locator") or 0)
        end = min(start + int(request.query_params.get("maxRecords") or 50_000), count)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for i in range(start, end):
            row = record(i)
            writer.writerow([str(v).lower() if isinstance(v, bool) else v for v in row.values()])
        headers = {
            "Sforce-Locator": str(end) if end < count else "null",
            "Sforce-NumberOfRecords": str(end - start),
        }
        return Response(out.getvalue(), headers=headers, media_type="text/csv")

    return app


if __name__ == "__main__":
    port, certfile, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    uvicorn.run(
        build(count),
        host="127.0.0.1",
        port=port,
        ssl_certfile=certfile,
        log_level="warning",
        access_log=False,
    )
