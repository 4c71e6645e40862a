"""The suite as a pytest plugin (tests/integration/README.md, "Running it"),
run by pytest's own pytester in a scratch folder, as another project runs
it: `pytest -p echo_conformance` with the package on PYTHONPATH (a
checkout of the kit), or found by its pytest11 entry point (installed).
Whichever way it comes in, its hooks are registered once; and this tree's
own runs load it once too.  The installed copy is checked the same way by
`make installcheck`, the wheel by `make wheel-check`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
PACKAGE_PARENT = ROOT / "tests" / "integration"
SUITE = PACKAGE_PARENT / "echo_conformance" / "tests"
OWN_TEST = "def test_own():\n    pass\n"

# A test of the scratch project's own that names every registration of the
# plugin's module: pluggy refuses one module twice under one name, so two
# would be two names.
COUNT_REGISTRATIONS = """
import echo_conformance.plugin

def test_the_plugin_is_registered_once(request):
    names = [name for name, plugin in request.config.pluginmanager.list_name_plugin()
             if plugin is echo_conformance.plugin]
    assert names == ["echo_conformance.plugin"]
"""


@pytest.fixture
def project(pytester, monkeypatch):
    """A scratch project with one test of its own and this tree's package
    on PYTHONPATH."""
    monkeypatch.setenv("PYTHONPATH", str(PACKAGE_PARENT))
    pytester.makepyfile(test_own=OWN_TEST)
    return pytester


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=300)


def server(name):
    return f"{BUILD / name} {{port}}"


def test_plugin_runs_the_chosen_clauses_beside_a_projects_own_test(project):
    result = run(project, "-p", "echo_conformance", "-v", "--server-cmd",
                 server("echo-server"), "--only-clauses", "S-ECHO-1")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_own.py::test_own PASSED*", "PASS  S-ECHO-1*"])


def test_plugin_fails_a_broken_server_with_its_clause(project):
    result = run(project, "-p", "echo_conformance", "--server-cmd",
                 server("mutants/nul-truncates"), "--only-clauses", "S-ECHO-2")
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["FAIL  S-ECHO-2*"])


def test_plugin_is_quiet_without_a_program_to_test(project):
    # A project that loads the plugin but names no program runs only its own tests.
    result = run(project, "-p", "echo_conformance")
    result.assert_outcomes(passed=1)


def test_plugin_lists_the_clauses_with_their_tests_and_runs_nothing(project):
    result = run(project, "-p", "echo_conformance", "--list-clauses")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["S-ECHO-1     MUST    *",
                                 "    *test_server_echo.py::test_short_message_is_echoed"])
    result.stdout.no_fnmatch_line("*passed*")


@pytest.mark.parametrize("args", [["-p", "echo_conformance"],
                                  ["-p", "echo_conformance", "-p", "echo_conformance"],
                                  ["-p", "echo_conformance", "-p", "echo_conformance.plugin"]],
                         ids=["once", "twice", "by-both-names"])
def test_plugin_named_on_the_command_line_is_registered_once(project, args):
    project.makepyfile(test_registrations=COUNT_REGISTRATIONS)
    result = run(project, *args, "test_registrations.py")
    result.assert_outcomes(passed=1)


def entry_point():
    """The pytest11 entry point pyproject.toml declares, as NAME = VALUE."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")
    with open(ROOT / "pyproject.toml", "rb") as f:
        [(name, value)] = tomllib.load(f)["project"]["entry-points"]["pytest11"].items()
    return f"{name} = {value}"


@pytest.mark.parametrize("args", [[], ["-p", "echo_conformance"]],
                         ids=["autoloaded", "and-named"])
def test_plugin_found_by_its_entry_point_is_registered_once(project, monkeypatch, args):
    # The entry point pyproject.toml declares, in a .dist-info on the path
    # as an installed wheel leaves it: pytest loads it by itself.
    info = project.mkdir("echo_conformance-0.dist-info")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-conformance\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\n{entry_point()}\n")
    monkeypatch.setenv("PYTHONPATH", f"{project.path}:{PACKAGE_PARENT}")
    project.makepyfile(test_registrations=COUNT_REGISTRATIONS)
    result = run(project, *args, "test_registrations.py")
    result.assert_outcomes(passed=1)


def in_tree(*args):
    """pytest at the top of this tree, with nothing on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_bare_pytest_at_the_top_collects_the_suite():
    done = in_tree("--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^tests/integration/echo_conformance/tests/test_server_echo\.py::",
                     done.stdout, re.M), done.stdout


def test_a_run_of_the_trees_other_tests_leaves_the_suite_out():
    # pytest.ini names the reference programs, yet the suite joins no run
    # of this tree that does not name its tests.
    done = in_tree("--collect-only", "-q", "tests/integration/test_spec.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "echo_conformance/tests" not in done.stdout, done.stdout


def test_plugin_named_in_the_tree_runs_once(project):
    # tests/integration/README.md's command: the tree's conftest.py finds
    # the plugin loaded already by -p.
    result = run(project, "-p", "echo_conformance", "-c", str(ROOT / "pytest.ini"),
                 "--rootdir", str(ROOT), "--server-cmd", server("echo-server"),
                 f"{SUITE / 'test_server_echo.py'}::test_short_message_is_echoed")
    result.assert_outcomes(passed=1)
