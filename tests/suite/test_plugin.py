"""The suite joins another project's tests: `pytest -p echo_conformance`,
run from a folder that is not this tree, with the package found on
PYTHONPATH as a student's checkout of the kit would have it.  The
project's own test runs beside the clauses asked for, and nothing of this
tree (pytest.ini, tests/integration/conftest.py) stands in for the
package.  The installed copy is checked the same way by `make installcheck`."""

import os
from pathlib import Path

from echo_conformance.suiterun import SuiteRun, pytest_argv

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()


def run_pytest(folder, *args):
    with SuiteRun(pytest_argv("-p", "echo_conformance", "-p", "no:cacheprovider", *args),
                  cwd=folder, env={"PYTHONPATH": str(ROOT / "tests" / "integration")}) as run:
        status = run.wait(timeout=300)
    return status, run.text()


def test_plugin_runs_the_chosen_clauses_beside_a_projects_own_test(tmp_path):
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    status, out = run_pytest(tmp_path, "-v", "--server-cmd", f"{BUILD / 'echo-server'} {{port}}",
                             "--only-clauses", "S-ECHO-1")
    assert status == 0, out
    assert "test_own.py::test_own PASSED" in out, out
    assert "PASS  S-ECHO-1" in out, out


def test_plugin_fails_a_broken_server_with_its_clause(tmp_path):
    status, out = run_pytest(tmp_path, "--server-cmd",
                             f"{BUILD / 'mutants' / 'nul-truncates'} {{port}}",
                             "--only-clauses", "S-ECHO-2")
    assert status == 1, out
    assert "FAIL  S-ECHO-2" in out, out


def test_plugin_is_quiet_without_a_program_to_test(tmp_path):
    # A project that loads the plugin but names no program runs only its own tests.
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    status, out = run_pytest(tmp_path, "-q")
    assert status == 0, out
    assert "1 passed" in out, out
