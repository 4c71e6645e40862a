"""Writes the .dist-info folder of the installed suite package (METADATA,
entry_points.txt, RECORD), the part of a wheel's install that lets pytest
find the plugin by its pytest11 entry point, without pip or a wheel.

    dist_info.py SITE_DIR VERSION
SITE_DIR holds the installed echo_conformance/ already."""

import base64
import hashlib
import sys
from pathlib import Path

NAME = "echo_conformance"

METADATA = """Metadata-Version: 2.1
Name: echo-conformance
Version: {version}
Summary: Conformance suite for fork-per-connection TCP echo servers and clients
Requires-Python: >=3.10
Requires-Dist: pytest
"""

ENTRY_POINTS = """[console_scripts]
echo-conformance = echo_conformance.cli:main

[pytest11]
echo_conformance = echo_conformance.plugin
"""


def record_line(site, path):
    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path.relative_to(site).as_posix()},sha256={digest},{len(data)}"


def main(site, version):
    site = Path(site)
    info = site / f"{NAME}-{version}.dist-info"
    info.mkdir(mode=0o755, exist_ok=True)
    (info / "METADATA").write_text(METADATA.format(version=version), encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (info / "INSTALLER").write_text("make\n", encoding="utf-8")
    files = sorted(p for p in [*(site / NAME).rglob("*"), *info.iterdir()] if p.is_file())
    lines = [record_line(site, p) for p in files]
    lines.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for p in info.iterdir():
        p.chmod(0o644)


if __name__ == "__main__":
    main(*sys.argv[1:])
