"""The HubSpot CRM endpoints hubspot-api-client calls, as documented, over in-memory data.

CRM v3 objects (search with ``filterGroups``/``sorts``/``after`` paging, batch read,
batch upsert by ``idProperty``, create with associations), v4 batch association reads,
v3 owners. Responses carry the fields the client's models require.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import Request, Response

TOKEN = "pat-na1-fake-token"
STAMP = "2026-01-01T00:00:00.000Z"


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _object(oid: str, props: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
    shown = props if wanted is None else {k: props.get(k) for k in wanted}
    return {
        "id": oid,
        "properties": {**shown, "hs_object_id": oid},
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "archived": False,
    }


def _batch(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": "COMPLETE", "results": results, "startedAt": STAMP, "completedAt": STAMP}


@dataclass
class FakeHubSpot:
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    associations: dict[tuple[str, str], dict[str, list[tuple[str, str | None]]]] = field(
        default_factory=dict
    )
    owners: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1001))

    def put(self, kind: str, oid: str, **props: Any) -> None:
        self.objects.setdefault(kind, {})[oid] = props

    def link(self, kind: str, deal: str, target: str, label: str | None = None) -> None:
        self.associations.setdefault(("deals", kind), {}).setdefault(deal, []).append(
            (target, label)
        )

    def handle(self, request: Request, rest: str, body: bytes) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _json(
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
                401,
            )
        data = orjson.loads(body) if body else {}
        parts = rest.rstrip("/").split("/")
        if parts[:2] == ["v3", "owners"]:
            return _json({"results": self.owners})
        if parts[:2] == ["v4", "associations"]:
            return self._associations(parts[2], parts[3], data)
        kind, tail = (parts[2], parts[3:]) if parts[1] == "objects" else (parts[1], parts[2:])
        if tail == ["search"]:
            return self._search(kind, data)
        if tail == ["batch", "read"]:
            found = self.objects.get(kind, {})
            results = [
                _object(i["id"], found[i["id"]], data.get("properties"))
                for i in data["inputs"]
                if i["id"] in found
            ]
            return _json(_batch(results))
        if tail == ["batch", "upsert"]:
            return self._upsert(kind, data)
        if not tail and request.method == "POST":
            oid = str(next(self._ids))
            self.put(
                kind, oid, **data.get("properties", {}), _associations=data.get("associations")
            )
            return _json(_object(oid, data.get("properties", {}), None), 201)
        return _json({"status": "error", "message": f"no route {rest}"}, 404)

    def _search(self, kind: str, data: dict[str, Any]) -> Response:
        rows = list(self.objects.get(kind, {}).items())
        for group in data.get("filterGroups") or []:
            for f in group["filters"]:
                assert f["operator"] == "GTE", f
                rows = [(i, p) for i, p in rows if _ms(p[f["propertyName"]]) >= int(f["value"])]
        for sort in data.get("sorts") or []:
            rows.sort(key=lambda r, s=sort: (_ms(r[1][s["propertyName"]]), int(r[0])))
        start, limit = int(data.get("after") or 0), int(data.get("limit") or 10)
        page = rows[start : start + limit]
        body: dict[str, Any] = {
            "total": len(rows),
            "results": [_object(i, p, data.get("properties")) for i, p in page],
        }
        if start + limit < len(rows):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return _json(body)

    def _associations(self, source: str, target: str, data: dict[str, Any]) -> Response:
        table = self.associations.get((source, target), {})
        results = []
        for item in data["inputs"]:
            links = table.get(item["id"], [])
            if links:
                results.append(
                    {
                        "from": {"id": item["id"]},
                        "to": [
                            {
                                "toObjectId": int(t),
                                "associationTypes": [
                                    {
                                        "category": "USER_DEFINED" if label else "HUBSPOT_DEFINED",
                                        "typeId": 3,
                                        "label": label,
                                    }
                                ],
                            }
                            for t, label in links
                        ],
                    }
                )
        return _json(_batch(results))

    def _upsert(self, kind: str, data: dict[str, Any]) -> Response:
        results = []
        store = self.objects.setdefault(kind, {})
        for item in data["inputs"]:
            key, value = item["idProperty"], item["id"]
            found = [i for i, p in store.items() if p.get(key) == value]
            oid = found[0] if found else str(next(self._ids))
            store.setdefault(oid, {}).update(item["properties"])
            results.append({**_object(oid, store[oid], None), "new": not found})
        return _json(_batch(results))
