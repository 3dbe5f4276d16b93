"""Build the zip that HACS installs: custom_components/hearth, versioned by a tag.

``python -m scripts.release v1.2.0 hearth.zip`` writes ``hearth.zip`` with
the integration's files at its root (HACS unpacks it into
``custom_components/hearth``) and the manifest's ``version`` set to the tag
without its leading ``v``. Caches and compiled files are left out. The
release workflow runs it on every published GitHub release.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import zipfile

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "hearth"
#: A release tag: a version as AwesomeVersion (HACS, Home Assistant) reads it.
TAG = re.compile(r"v?(?P<version>\d+\.\d+\.\d+(?:[.-]?(?:a|b|rc|dev)\d+)?)")
#: Fixed, so the same tag always builds the same zip.
TIMESTAMP = (2020, 1, 1, 0, 0, 0)


def version_from_tag(tag: str) -> str:
    """Return the manifest version of a release tag such as ``v1.2.0``."""
    if (match := TAG.fullmatch(tag)) is None:
        raise ValueError(f"{tag!r} is not a release tag like v1.2.0")
    return match["version"]


def packaged_files(component: Path = COMPONENT) -> list[Path]:
    """Return the integration's files, relative to its folder, in order."""
    return sorted(
        path.relative_to(component)
        for path in component.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    )


def build(tag: str, destination: Path, component: Path = COMPONENT) -> None:
    """Write the zip of ``component`` for release ``tag`` to ``destination``."""
    version = version_from_tag(tag)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in packaged_files(component):
            data = (component / relative).read_bytes()
            if relative == Path("manifest.json"):
                manifest = json.loads(data)
                manifest["version"] = version
                data = (json.dumps(manifest, indent=2) + "\n").encode()
            info = zipfile.ZipInfo(relative.as_posix(), TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def main(argv: list[str] | None = None) -> None:
    """Build the release zip."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, e.g. v1.2.0")
    parser.add_argument("destination", type=Path, help="the zip to write")
    args = parser.parse_args(argv)
    build(args.tag, args.destination)


if __name__ == "__main__":
    main()
