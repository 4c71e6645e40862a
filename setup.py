"""The distribution's version is the kit's: src/opt.h holds it, the one
place it is written, for the programs' -V, the wheel and make deb alike
(debian/rules checks debian/changelog against it).  Everything else is in
pyproject.toml."""

import re
from pathlib import Path

from setuptools import setup

OPT_H = Path(__file__).resolve().parent / "src" / "opt.h"
VERSION = re.search(r'^#define ECHO_KIT_VERSION "([^"]+)"$',
                    OPT_H.read_text(encoding="utf-8"), re.M).group(1)

# setuptools' own work files go beside the kit's build, not among them.
setup(version=VERSION, options={"build": {"build_base": "build/python"}})
