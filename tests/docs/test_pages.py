"""README.md stays the front door: short, and linking every page under docs/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_is_a_front_door_of_at_most_500_lines():
    assert len((REPO / "README.md").read_text().splitlines()) <= 500


def test_readme_links_every_docs_page():
    readme = (REPO / "README.md").read_text()
    pages = sorted(page.name for page in (REPO / "docs").glob("*.md"))
    assert [page for page in pages if f"(docs/{page})" not in readme and f"(docs/{page}#" not in readme] == []
