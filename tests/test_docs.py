"""Every command, setting and route is documented, and the generated docs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_reference_docs_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.find("## ", 10) if "## " in readme[10:] else 2000]
    assert "make demo" in readme[:1500] and "make test" in readme[:1500], head
