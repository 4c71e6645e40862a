"""Installs the suite's wheel (python3 -m build makes it) into the folders
`make install` names, as pip installs it into a virtual environment: the
echo_conformance package and its .dist-info into SITE_DIR, the
echo-conformance command, run by this interpreter, into BIN_DIR; DESTDIR,
when given, before both.  pip cannot name those folders on Debian, whose
Python puts "local" into every prefix.

    install_wheel.py WHEEL SITE_DIR BIN_DIR [DESTDIR]"""

import sys

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile


def main(wheel, site, bindir, destdir=None):
    destination = SchemeDictionaryDestination(
        {"purelib": site, "platlib": site, "scripts": bindir},
        interpreter=sys.executable, script_kind="posix", destdir=destdir or None)
    with WheelFile.open(wheel) as source:
        install(source, destination, additional_metadata={"INSTALLER": b"make\n"})


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.rsplit("\n\n", 1)[1].strip())
    main(*sys.argv[1:])
