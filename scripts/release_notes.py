"""Print the CHANGELOG section of a release, after checking that the tag names this version.

    python scripts/release_notes.py v0.1.0 > release-notes.md

Standard library only. Exits 1 with one line when the tag is not `v` + pyproject's
`version`, or when CHANGELOG.md has no non-empty `## [<version>]` section: a tag pushed
before the version was bumped and the changelog moved on publishes nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_version() -> str:
    """The version pyproject.toml declares (its one place)."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise SystemExit('release_notes: no `version = "…"` line in pyproject.toml')
    return match.group(1)


def changelog_section(version: str, changelog: str) -> str:
    """The body of `## [version]` (up to the next `## ` heading), stripped; '' if absent."""
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*\n", re.MULTILINE)
    match = heading.search(changelog)
    if match is None:
        return ""
    rest = changelog[match.end() :]
    following = re.search(r"^## ", rest, re.MULTILINE)
    return (rest[: following.start()] if following else rest).strip()


def main(argv: list[str]) -> int:
    """Check the tag `argv[1]`, print its release notes."""
    if len(argv) != 2:
        print("usage: release_notes.py vX.Y.Z", file=sys.stderr)
        return 2
    tag, version = argv[1], project_version()
    if tag != f"v{version}":
        print(
            f"release_notes: the tag {tag} does not match pyproject's version {version} "
            f"(expected v{version})",
            file=sys.stderr,
        )
        return 1
    notes = changelog_section(version, (ROOT / "CHANGELOG.md").read_text())
    if not notes:
        print(f"release_notes: CHANGELOG.md has no `## [{version}]` section", file=sys.stderr)
        return 1
    print(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
