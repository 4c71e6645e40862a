"""Loads the suite's plugin when the suite runs from this source tree (an
installed copy is loaded by its pytest11 entry point instead, which
pytest.ini blocks here, so that this tree's code is the one tested)."""

pytest_plugins = ["echo_conformance.plugin"]
