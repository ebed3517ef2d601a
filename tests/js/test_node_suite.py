"""The Node side's own tests (js/test: the compiler against OpenFn's behaviour, run.mjs's protocol), run
by `make test` like every other test."""

from __future__ import annotations

import subprocess

from tests.support.airflow_env import REPO


def test_the_node_test_suite_passes():
    result = subprocess.run(
        ["node", "--experimental-vm-modules", "--no-warnings", "--test", "test/"],
        cwd=REPO / "js", capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    summary = [line for line in result.stdout.splitlines() if line.startswith(("# pass", "# fail", "not ok"))]
    assert result.returncode == 0, "\n".join(summary) + "\n" + result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in summary
