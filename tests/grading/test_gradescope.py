"""`make gradescope`'s zip, run the way Gradescope runs it: unpacked into
/autograder/source, run_autograder copied to /autograder, the student's
files in /autograder/submission, in a fresh root (bubblewrap: the machine's
/usr and /etc read-only, nothing else of it) without network.
setup.sh is not run: it needs apt and the network; the machine has what it
installs."""

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, SCALE

BUILD = ROOT / "build"


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    subprocess.run(["make", "-s", "gradescope"], cwd=ROOT, check=True)
    base = tmp_path_factory.mktemp("gradescope")
    ag = base / "autograder"
    with zipfile.ZipFile(BUILD / "gradescope" / "autograder.zip") as z:
        z.extractall(ag / "source")
    for name in ("run_autograder", "setup.sh"):
        (ag / "source" / name).chmod(0o755)     # extractall drops the mode
    shutil.copy(ag / "source" / "run_autograder", ag / "run_autograder")
    (ag / "source" / "grading.toml").write_text(
        f'[grade]\nsides = ["server"]\ntimeout_scale = {2 * SCALE}\n')
    subprocess.run([sys.executable, str(ROOT / "tests" / "grading" / "make_class.py"),
                    str(base / "class"), "--only", "reference-server"], check=True)
    shutil.copytree(base / "class" / "reference-server", ag / "submission")
    (ag / "results").mkdir()
    run = subprocess.run(
        ["bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
         "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
         "--symlink", "usr/sbin", "/sbin", "--ro-bind", "/etc", "/etc",
         "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", str(ag), "/autograder",
         "--unshare-net", "--unshare-pid", "--die-with-parent", "--chdir", "/autograder",
         "--setenv", "PATH", "/usr/sbin:/usr/bin", "/autograder/run_autograder"],
        capture_output=True, text=True, timeout=900 * SCALE)
    return ag, run


def test_the_zip_has_setup_and_run_autograder_at_its_top():
    subprocess.run(["make", "-s", "gradescope"], cwd=ROOT, check=True)
    with zipfile.ZipFile(BUILD / "gradescope" / "autograder.zip") as z:
        names = set(z.namelist())
    assert {"setup.sh", "run_autograder", "grading.toml",
            "echo_conformance/grade/gradescope.py"} <= names


def test_run_autograder_writes_the_results_gradescope_reads(autograder):
    ag, run = autograder
    assert run.returncode == 0, run.stderr
    doc = json.loads((ag / "results" / "results.json").read_text())
    assert doc["tests"] and all(t["status"] == "passed" for t in doc["tests"]), doc
    assert doc["score"] == sum(t["max_score"] for t in doc["tests"])
