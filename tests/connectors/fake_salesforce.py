"""The Salesforce REST endpoints simple-salesforce calls, as documented, over in-memory data.

OAuth token, ``/query`` and ``/query/{locator}`` (``nextRecordsUrl`` paging, honouring
``Sforce-Query-Options: batchSize``), sObject create / upsert by external id / get,
``/limits``, Bulk API 2.0 query jobs with CSV results paged by ``Sforce-Locator``. Every
response carries ``Sforce-Limit-Info``. A minimal SOQL reader covers the statements the
connector sends: ``SELECT .. FROM .. [WHERE f >= t | f IN (..) | f = '..'] [ORDER BY ..]``.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request, Response

TOKEN = "00Dfake!session-token"
_SOQL = re.compile(
    r"SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?"
    r"(?: ORDER BY (?P<order>.+?))?(?: LIMIT (?P<limit>\d+))?$",
    re.S,
)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _time(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text)


def _matches(record: dict[str, Any], where: str | None) -> bool:
    if not where:
        return True
    if m := re.fullmatch(r"(\S+) >= (\S+)", where):
        value = record.get(m[1])
        return value is not None and _time(str(value)) >= _time(m[2])
    if m := re.fullmatch(r"(\S+) IN \((.*)\)", where):
        wanted = {v.strip().strip("'") for v in m[2].split(",")}
        return str(record.get(m[1])) in wanted
    if m := re.fullmatch(r"(\S+) = '(.*)'", where):
        return str(record.get(m[1])) == m[2].replace("\\'", "'")
    if m := re.fullmatch(r"(\S+) = (true|false)", where):
        return bool(record.get(m[1], True)) == (m[2] == "true")
    raise ValueError(f"fake SOQL cannot read WHERE {where!r}")


def _nest(obj: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": obj, "url": f"/sobjects/{obj}/{record['Id']}"}}
    for f in fields:
        head, _, tail = f.partition(".")
        if not tail:
            out[f] = record.get(f)
            continue
        node = out.setdefault(head, {"attributes": {"type": head}})
        node[tail] = record.get(f)
    return out


@dataclass
class FakeSalesforce:
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    max_page: int = 2000
    daily_max: int = 15000
    used: int = 0
    remaining_override: int | None = None
    client_id: str = "cid"
    client_secret: str = "csecret"
    username: str = "ops@acme.example"
    password: str = "pw" + "TOKEN"
    locators: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def put(self, obj: str, **record: Any) -> None:
        self.objects.setdefault(obj, {})[str(record["Id"])] = record

    def records(self, obj: str) -> list[dict[str, Any]]:
        return list(self.objects.get(obj, {}).values())

    def _limit_headers(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.used}/{self.daily_max}"}

    def token(self, form: dict[str, str], base_url: str) -> Response:
        ok = (
            form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
        )
        if form.get("grant_type") == "password":
            ok = (
                ok
                and form.get("username") == self.username
                and form.get("password") == self.password
            )
        elif form.get("grant_type") != "client_credentials":
            ok = False
        if not ok:
            return _json(
                {"error": "invalid_grant", "error_description": "authentication failure"}, 400
            )
        return _json(
            {
                "access_token": TOKEN,
                "instance_url": base_url,
                "token_type": "Bearer",
                "id": f"{base_url}/id/00D/005",
                "issued_at": "1700000000000",
            }
        )

    def handle(self, request: Request, version: str, rest: str, body: bytes) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _json(
                [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}], 401
            )
        self.used += 1
        rest = rest.rstrip("/")
        method = request.method
        if rest == "limits":
            remaining = (
                self.daily_max - self.used
                if self.remaining_override is None
                else self.remaining_override
            )
            return _json(
                {"DailyApiRequests": {"Max": self.daily_max, "Remaining": remaining}},
                200,
                self._limit_headers(),
            )
        if rest == "query":
            batch = re.search(r"batchSize=(\d+)", request.headers.get("sforce-query-options", ""))
            size = min(int(batch[1]) if batch else 2000, self.max_page)
            return self._query(version, request.query_params["q"], size)
        if rest.startswith("query/"):
            return self._more(version, rest.split("/", 1)[1])
        if rest.startswith("jobs/query"):
            return self._bulk(method, rest, body, request)
        if rest.startswith("sobjects/"):
            return self._sobject(method, rest.split("/")[1:], body)
        return _json([{"errorCode": "NOT_FOUND", "message": rest}], 404)

    def select(self, soql: str) -> tuple[str, list[str], list[dict[str, Any]]]:
        m = _SOQL.match(soql.strip())
        assert m, f"fake SOQL cannot parse {soql!r}"
        fields = [f.strip() for f in m["fields"].split(",")]
        rows = [r for r in self.records(m["obj"]) if _matches(r, m["where"])]
        if m["order"]:
            keys = [k.split()[0] for k in m["order"].split(",")]
            rows.sort(key=lambda r: tuple(str(r.get(k)) for k in keys))
        if m["limit"]:
            rows = rows[: int(m["limit"])]
        return m["obj"], fields, rows

    def _page(self, version: str, rows: list[dict[str, Any]], size: int, total: int) -> Response:
        head, tail = rows[:size], rows[size:]
        body: dict[str, Any] = {"totalSize": total, "done": not tail, "records": head}
        if tail:
            locator = f"01gFAKE{next(self._ids):05d}-{size}"
            self.locators[locator] = tail
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}"
        return _json(body, 200, self._limit_headers())

    def _query(self, version: str, soql: str, size: int) -> Response:
        obj, fields, rows = self.select(soql)
        nested = [_nest(obj, r, fields) for r in rows]
        return self._page(version, nested, size, len(nested))

    def _more(self, version: str, locator: str) -> Response:
        rows = self.locators.pop(locator)
        return self._page(version, rows, int(locator.rsplit("-", 1)[1]), len(rows))

    def _sobject(self, method: str, parts: list[str], body: bytes) -> Response:
        obj = parts[0]
        data = orjson.loads(body) if body else {}
        if method == "POST" and len(parts) == 1:
            new_id = f"{obj[:3]}FAKE{next(self._ids):06d}"
            self.put(obj, Id=new_id, **data)
            return _json({"id": new_id, "success": True, "errors": []}, 201)
        if len(parts) == 3:  # upsert or get by external id
            field_name, value = parts[1], parts[2]
            found = [r for r in self.records(obj) if str(r.get(field_name)) == value]
            if method == "GET":
                return _json(found[0]) if found else _json([{"errorCode": "NOT_FOUND"}], 404)
            if found:
                found[0].update(data)
                return _json(
                    {"id": found[0]["Id"], "success": True, "created": False, "errors": []}, 200
                )
            new_id = f"00QFAKE{next(self._ids):06d}"
            self.put(obj, Id=new_id, **{field_name: value, **data})
            return _json({"id": new_id, "success": True, "created": True, "errors": []}, 201)
        return _json([{"errorCode": "NOT_FOUND"}], 404)

    def _bulk(self, method: str, rest: str, body: bytes, request: Request) -> Response:
        parts = rest.split("/")
        if method == "POST" and len(parts) == 2:
            spec = orjson.loads(body)
            job_id = f"750FAKE{next(self._ids):05d}"
            _, fields, rows = self.select(spec["query"])
            self.jobs[job_id] = {"spec": spec, "fields": fields, "rows": rows}
            return _json({"id": job_id, "operation": spec["operation"], "state": "UploadComplete"})
        job = self.jobs[parts[2]]
        if len(parts) == 3:
            return _json(
                {"id": parts[2], "state": "JobComplete", "numberRecordsProcessed": len(job["rows"])}
            )
        start = int(request.query_params.get("locator") or 0)
        size = int(request.query_params.get("maxRecords") or 50000)
        chunk = job["rows"][start : start + size]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job["fields"])
        for r in chunk:
            writer.writerow(
                [
                    ""
                    if r.get(f) is None
                    else str(r.get(f)).lower()
                    if isinstance(r.get(f), bool)
                    else r.get(f)
                    for f in job["fields"]
                ]
            )
        nxt = start + size
        locator = str(nxt) if nxt < len(job["rows"]) else "null"
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))}
        return Response(out.getvalue(), 200, headers, media_type="text/csv")
