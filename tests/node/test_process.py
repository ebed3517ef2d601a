"""A Node process of its own (node/process.py): log records from the channel, raw stdout/stderr logged as they
come unless the job's logs are off, and the result document."""

from __future__ import annotations

import logging

import pytest

from openfn.node.process import NodeProcess
from openfn.settings import get_settings

SCRIPT = """
import { writeSync } from 'node:fs';
const fd = Number(process.argv.find((a) => a.startsWith('--channel=')).slice(10));
process.stdout.write('written straight to stdout\\n');
writeSync(fd, JSON.stringify({ type: 'log', level: 'info', message: '[R/T] finished' }) + '\\n');
writeSync(fd, JSON.stringify({ type: 'result', status: 'success', state: {} }) + '\\n');
"""


@pytest.mark.parametrize("raw_output", [True, False])
def test_raw_output_is_logged_unless_the_jobs_logs_are_off_and_channel_records_always_are(tmp_path, raw_output):
    script = tmp_path / "script.mjs"
    script.write_text(SCRIPT)
    lines = []
    process = NodeProcess(get_settings().node, script, cwd=tmp_path, on_log=lambda level, line: lines.append((level, line)))
    process.raw_output = raw_output
    assert process.run({}, timeout=60) == {"type": "result", "status": "success", "state": {}}
    assert (logging.INFO, "[R/T] finished") in lines
    assert ((logging.INFO, "written straight to stdout") in lines) is raw_output
