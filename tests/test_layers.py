"""Imports run one way, down the layers of docs/architecture.md, with no cycle.

The contracts are import-linter's, in pyproject.toml; a broken one fails here with
import-linter's own account of the imports that break it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.parametrize("contract", ["layers", "products", "acyclic"])
def test_contract_is_kept(contract) -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--contract", contract, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout
