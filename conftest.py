"""This source tree's pytest runs (bare `pytest` here, make's goals): the
suite's package and its plugin come from the tree, whatever is installed."""

import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent
PACKAGE = TOP / "tests" / "integration" / "echo_conformance"

# The suite's package, and tests/reference's refkit that tests/scale uses
# too.  pytest.ini's `pythonpath` would do this from pytest 7.0 on; the
# oldest pytest the suite supports, 6.2, lacks it.
for folder in (TOP / "tests" / "reference", PACKAGE.parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def pytest_addoption(parser, pluginmanager):
    """The plugin, as `-p echo_conformance` loads it: idle unless the run
    has the suite's tests (tests/integration, which pytest.ini's testpaths
    names).  Not by a `pytest_plugins` list: a run that joins the suite to
    another project's, with this tree on PYTHONPATH, reaches this file only
    after it has started, when pytest refuses one; it has the plugin already
    then, and the call below does nothing."""
    pluginmanager.import_plugin("echo_conformance")
    plugin = pluginmanager.get_plugin("echo_conformance")
    if plugin is None:          # -p no:echo_conformance
        return
    found = Path(plugin.__file__).resolve().parent
    if found != PACKAGE:
        # An installed copy's entry point came first: its modules, not
        # this tree's, would be tested.
        raise pytest.UsageError(
            f"pytest loaded the installed echo_conformance ({found}) before this "
            f"tree's; run with PYTHONPATH={PACKAGE.parent} (make sets it), or "
            f"uninstall that copy")
