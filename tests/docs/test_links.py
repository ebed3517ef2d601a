"""Every relative link in README.md and docs/*.md leads somewhere: the file exists, and an anchor names a
heading of that page (GitHub's rule for heading ids)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[(?:[^\]`]|`[^`]*`)*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The page without fenced code blocks and inline code, where brackets are not links."""
    text = re.sub(r"^\s*```.*?^\s*```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "``", text)


def slug(heading: str) -> str:
    """GitHub's id for a heading: lower case, markup and punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^\s*```.*?^\s*```", "", page.read_text(), flags=re.S | re.M)
    seen: Counter[str] = Counter()
    ids = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        base = slug(heading)
        ids.add(f"{base}-{seen[base]}" if seen[base] else base)
        seen[base] += 1
    return ids


def links() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for target in LINK.findall(prose(page.read_text())):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked here
                found.append((str(page.relative_to(REPO)), target))
    return found


def test_the_pages_have_relative_links_to_check():
    pages = {page for page, _ in links()}
    assert "README.md" in pages and len(pages) > 5


@pytest.mark.parametrize(("page", "target"), links())
def test_relative_link_resolves_to_a_file_and_anchor(page, target):
    path, _, anchor = target.partition("#")
    file = (REPO / page).parent / path if path else REPO / page
    assert file.resolve().exists(), f"{page}: {target} leads to no file"
    if anchor:
        assert file.suffix == ".md", f"{page}: {target}: an anchor on a file that is not a page"
        assert anchor in anchors(file.resolve()), f"{page}: {target}: no heading with id '{anchor}' in {path or page}"


@pytest.mark.parametrize(("heading", "expected"), [
    ("Replying with the result (after completion)", "replying-with-the-result-after-completion"),
    ("`project.yaml`", "projectyaml"),
    ("Settings (`[openfn]` section, or `AIRFLOW__OPENFN__<KEY>`)", "settings-openfn-section-or-airflow__openfn__key"),
    ("The ~5 s wait after a task", "the-5-s-wait-after-a-task"),
])
def test_heading_ids_follow_githubs_rule(heading, expected):
    assert slug(heading) == expected
