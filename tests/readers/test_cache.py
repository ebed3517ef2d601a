"""Parse caches: unchanged files are not parsed again; changed or non-JSON data always is."""

from __future__ import annotations

import datetime
import os

import pytest
import yaml

from openfn import cache
from openfn.readers import _cache
from openfn.readers._cache import cached_yaml, compiles


def counting_parser():
    calls = []

    def parse(text):
        calls.append(text)
        return yaml.safe_load(text)

    return parse, calls


def test_unchanged_yaml_is_read_from_the_cache(tmp_path):
    file = tmp_path / "project.yaml"
    file.write_text("jobs: {a: {retries: 1, enabled: true, ratio: 1.0}}\n")
    parse, calls = counting_parser()
    first = cached_yaml(file, parse)
    second = cached_yaml(file, parse)
    assert first == second == {"jobs": {"a": {"retries": 1, "enabled": True, "ratio": 1.0}}}
    assert type(second["jobs"]["a"]["ratio"]) is float and second["jobs"]["a"]["enabled"] is True
    assert len(calls) == 1


def test_changed_yaml_is_parsed_again(tmp_path):
    file = tmp_path / "project.yaml"
    file.write_text("name: a\n")
    parse, calls = counting_parser()
    cached_yaml(file, parse)
    file.write_text("name: bb\n")
    assert cached_yaml(file, parse) == {"name": "bb"}
    assert len(calls) == 2


def test_yaml_that_json_cannot_hold_exactly_is_never_cached(tmp_path):
    file = tmp_path / "project.yaml"
    file.write_text("when: 2024-05-01\njobs: {123: {}}\n")
    parse, calls = counting_parser()
    assert cached_yaml(file, parse) == {"when": datetime.date(2024, 5, 1), "jobs": {123: {}}}
    assert cached_yaml(file, parse) == {"when": datetime.date(2024, 5, 1), "jobs": {123: {}}}
    assert len(calls) == 2


def test_a_cache_directory_others_can_write_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = tmp_path / f"openfn-parse-cache-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    file = tmp_path / "project.yaml"
    file.write_text("name: a\n")
    parse, calls = counting_parser()
    cached_yaml(file, parse)
    cached_yaml(file, parse)
    assert len(calls) == 2 and list(folder.iterdir()) == []


def test_a_job_file_that_compiled_is_not_compiled_again_until_it_changes(tmp_path, monkeypatch):
    job = tmp_path / "job.py"
    job.write_text("operations = []\n")
    compiled = []
    real_compile = compile
    monkeypatch.setattr(_cache, "compile", lambda *a, **k: compiled.append(a[1]) or real_compile(*a, **k), raising=False)
    compiles(job)
    compiles(job)
    assert compiled == [str(job)]
    job.write_text("operations = [\n")
    with pytest.raises(SyntaxError):
        compiles(job)
    with pytest.raises(SyntaxError):
        compiles(job)
    assert len(compiled) == 3
