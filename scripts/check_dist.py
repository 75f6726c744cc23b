"""Check what `make dist` built: the wheel and the sdist hold what an installed tap needs.

    python scripts/check_dist.py dist

Standard library only, so it runs on any Python 3.10+ without the project's environment.
It fails (exit 1, one line per problem) unless `dist/` holds exactly one wheel and one sdist
of pyproject's version, and the wheel carries every JSON schema of `tap_gainsight/schemas/`,
the `tap-gainsight` console script, the LICENSE and metadata of that version and name.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "tap-gainsight"
ENTRY_POINT = "tap-gainsight = tap_gainsight.tap:TapGainsight.cli"


def project_version() -> str:
    """The version pyproject.toml declares (its one place)."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        sys.exit('check_dist: no `version = "…"` line in pyproject.toml')
    return match.group(1)


def check_wheel(wheel: Path, version: str) -> list[str]:
    """What is missing or wrong in the wheel."""
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"tap_gainsight-{version}.dist-info"
        schemas = sorted(p.name for p in (ROOT / "tap_gainsight" / "schemas").glob("*.json"))
        if not schemas:
            problems.append("tap_gainsight/schemas/ holds no *.json in the checkout")
        problems += [
            f"{wheel.name}: lacks tap_gainsight/schemas/{name}"
            for name in schemas
            if f"tap_gainsight/schemas/{name}" not in names
        ]
        modules = sorted(
            p.relative_to(ROOT).as_posix() for p in (ROOT / "tap_gainsight").rglob("*.py")
        )
        problems += [f"{wheel.name}: lacks {module}" for module in modules if module not in names]
        for required in ("entry_points.txt", "METADATA", "licenses/LICENSE"):
            if f"{dist_info}/{required}" not in names:
                problems.append(f"{wheel.name}: lacks {dist_info}/{required}")
        if problems:
            return problems
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        if ENTRY_POINT not in entry_points.splitlines():
            problems.append(f"{wheel.name}: no console script `{ENTRY_POINT}`")
        metadata = HeaderParser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
        if metadata["Name"] != NAME or metadata["Version"] != version:
            problems.append(
                f"{wheel.name}: METADATA names {metadata['Name']} {metadata['Version']}, "
                f"not {NAME} {version}"
            )
        if metadata["License-Expression"] != "Apache-2.0":
            problems.append(f"{wheel.name}: License-Expression is {metadata['License-Expression']}")
        stray = sorted(n for n in names if n.split("/")[0] not in {"tap_gainsight", dist_info})
        if stray:
            problems.append(f"{wheel.name}: files outside the package: {', '.join(stray[:5])}")
    return problems


def check_sdist(sdist: Path, version: str) -> list[str]:
    """What is missing in the sdist (the wheel is built from it, so its sources suffice)."""
    top = f"tap_gainsight-{version}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
    required = ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "tap_gainsight/tap.py")
    return [f"{sdist.name}: lacks {name}" for name in required if f"{top}/{name}" not in names]


def main(argv: list[str]) -> int:
    """Check the one wheel and the one sdist of `argv[1]` (default `dist`)."""
    dist = Path(argv[1] if len(argv) > 1 else "dist")
    version = project_version()
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    expected_wheel = f"tap_gainsight-{version}-py3-none-any.whl"
    expected_sdist = f"tap_gainsight-{version}.tar.gz"
    if [w.name for w in wheels] != [expected_wheel] or [s.name for s in sdists] != [expected_sdist]:
        found = ", ".join(p.name for p in [*wheels, *sdists]) or "nothing"
        print(f"check_dist: expected {expected_wheel} and {expected_sdist} in {dist}/")
        print(f"check_dist: found {found}")
        return 1
    problems = check_wheel(wheels[0], version) + check_sdist(sdists[0], version)
    for problem in problems:
        print(f"check_dist: {problem}")
    if problems:
        return 1
    with zipfile.ZipFile(wheels[0]) as archive:
        count = sum(
            n.startswith("tap_gainsight/schemas/") and n.endswith(".json")
            for n in archive.namelist()
        )
    print(
        f"check_dist: {wheels[0].name} and {sdists[0].name} are complete "
        f"({count} schema files, the `tap-gainsight` command, LICENSE)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
