"""The echo-server conformance suite: the spec's clauses, /proc probing,
process control, sockets, fake servers, the clause report, and the pytest
plugin that runs it all.

`-p echo_conformance`, the pytest11 entry point of an installed copy and
this source tree's conftest.py all name this package, and pytest then
loads the one module that holds the plugin's hooks, echo_conformance.plugin,
through the list below: whichever way it comes in, the plugin is registered
once.  Importing the package loads nothing else, so the benchmark and the
demo use its plumbing without pytest."""

pytest_plugins = ["echo_conformance.plugin"]
