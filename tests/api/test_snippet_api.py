"""`/t.js` and the analytics-next settings document, served by Leadloop itself."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from api_helpers import Api, assert_error

from leadloop.api.routers.snippet import snippet

SOURCE = Path(__file__).resolve().parents[2] / "src/leadloop/web/static/t.js"
GZIP_BUDGET = 5 * 1024


def test_the_snippet_is_javascript_with_an_etag_and_under_5_kb_gzipped(api: Api) -> None:
    response = api.request("GET", "/t.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert "max-age=300" in response.headers["cache-control"]
    assert re.fullmatch(r'"[0-9a-f]{20}"', response.headers["etag"])
    on_the_wire = int(response.headers["content-length"])
    assert on_the_wire == len(snippet().gzipped) < GZIP_BUDGET
    assert gzip.decompress(snippet().gzipped) == response.content == snippet().body
    assert b"sendBeacon" in response.content and b"data-write-key" in response.content


def test_the_served_snippet_drops_comments_and_still_parses(tmp_path: Path) -> None:
    served = snippet().body.decode()
    assert "//" not in "".join(line.strip()[:2] for line in served.splitlines())
    assert len(served) < len(SOURCE.read_text())
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot parse-check the served snippet")
    out = tmp_path / "t.js"
    out.write_text(served)
    subprocess.run(["node", "--check", str(out)], check=True)


def test_the_source_never_reads_form_fields_beyond_the_four_allowed() -> None:
    """Passive profiling: the only form fields the snippet looks up are these four."""
    source = SOURCE.read_text()
    looked_up = set(re.findall(r"querySelector\('\[name=(\w+)\]", source))
    assert looked_up == {"email", "name", "subscribe", "topic"}
    assert "FormData" not in source and ".elements" not in source


def test_an_unchanged_snippet_answers_304(api: Api) -> None:
    etag = api.request("GET", "/t.js").headers["etag"]
    again = api.request("GET", "/t.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    plain = api.request("GET", "/t.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == snippet().body


def test_segment_settings_point_analytics_next_back_at_this_server(api: Api) -> None:
    response = api.request("GET", f"/v1/projects/{api.write_key}/settings")
    assert response.status_code == 200
    body = response.json()
    segment_io = body["integrations"]["Segment.io"]
    assert segment_io["apiKey"] == api.write_key
    assert (segment_io["apiHost"], segment_io["protocol"]) == ("leadloop.test/v1", "http")
    assert list(body["integrations"]) == ["Segment.io"]  # no destination to fetch
    assert body["metrics"]["sampleRate"] == 0
    assert body["remotePlugins"] == []


@pytest.mark.parametrize("key", ["ll_w_unknown", "x"])
def test_segment_settings_for_an_unknown_key_are_401(api: Api, key: str) -> None:
    assert_error(api.request("GET", f"/v1/projects/{key}/settings"), 401, "unauthorized")
