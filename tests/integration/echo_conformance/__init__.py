"""The echo-server conformance suite: the spec's clauses, /proc probing,
process control, sockets, fake servers, the clause report, and the pytest
plugin that runs it all.

`pytest -p echo_conformance` names this package: an installed copy is
found by its pytest11 entry point, which loads echo_conformance.plugin; a
copy on PYTHONPATH (this source tree) is loaded as this module, so the
plugin's hooks and fixtures are offered here too.  Without pytest (the
benchmark's or the demo's imports under another interpreter) the package
still serves its plumbing."""

import importlib.util
import inspect


def _offer_plugin():
    from . import plugin
    for name, value in vars(plugin).items():
        if not name.startswith("_") and not inspect.ismodule(value):
            globals()[name] = value


if importlib.util.find_spec("pytest") is not None:
    _offer_plugin()
