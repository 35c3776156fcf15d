"""The import contracts of pyproject.toml ([tool.importlinter]) hold: imports point downward only.

Runs the real `lint-imports` (import-linter, in the `test` extra) installed next to
this Python; its report says which import breaks which contract.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    command = Path(sys.executable).parent / "lint-imports"
    assert command.exists(), f"{command} is missing: install the test extra (pip install -e '.[test]')"
    done = subprocess.run(
        [str(command), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"lint-imports found imports that break the layers:\n{done.stdout}{done.stderr}"
