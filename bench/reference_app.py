"""The HTTP ceiling: a bare FastAPI endpoint that parses a Segment batch and discards it.

Run with ``uvicorn bench.reference_app:app``; bench/ingest.py starts it beside Leadloop.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class Batch(BaseModel):
    model_config = ConfigDict(extra="allow")
    batch: list[dict[str, Any]]
    writeKey: str | None = None


@app.post("/v1/batch")
async def batch(body: Batch) -> dict[str, object]:
    return {"success": True, "accepted": len(body.batch)}
