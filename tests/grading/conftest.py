"""Fixtures of the grader's tests: a small class graded once per run with
the `echo-conformance grade` command (as `python3 -m echo_conformance.grade`),
from this tree's package."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from echo_conformance.report import NOT_RUN

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_PARENT = ROOT / "tests" / "integration"
HOSTILE = ROOT / "tests" / "grading" / "hostile"
GRADE_ENV = {**os.environ, "PYTHONPATH": str(PACKAGE_PARENT)}
SCALE = float(os.environ.get("ECHO_CONFORMANCE_TIMEOUT_SCALE", "1"))

# One of each kind a class holds: a correct server, a one-defect mutant,
# and the hostile submissions the sandbox must contain.
CLASS = ["reference-server", "nul-truncates", "sigterm-ignored", "double-fork-immortal",
         "build-fails", "never-listens", "fork-bomb", "busy-loop", "stderr-flood"]
# Timeouts doubled: these tests share the machine with others' heavy runs.
CONFIG = f"""\
[grade]
sides = server
listen_timeout = 10
timeout_scale = {2 * SCALE}
[points]
MUST = 2
SHOULD = 1
S-ECHO-1 = 5
"""


def grade(submissions, out, config, jobs=2, timeout=1800, env=GRADE_ENV):
    return subprocess.run([sys.executable, "-m", "echo_conformance.grade", str(submissions),
                           "--out", str(out), "--config", str(config), "--jobs", str(jobs)],
                          env=env, capture_output=True, text=True,
                          timeout=timeout * SCALE)


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The class, graded: (results folder, process result, expected verdicts)."""
    base = tmp_path_factory.mktemp("grading")
    subprocess.run([sys.executable, str(ROOT / "tests" / "grading" / "make_class.py"),
                    str(base / "class"), "--only", ",".join(CLASS)], check=True)
    config = base / "grading.ini"
    config.write_text(CONFIG)
    result = grade(base / "class", base / "results", config)
    expected = json.loads((base / "class-expected.json").read_text())
    return base, result, expected


def odd_tree(kind, folder):
    """hostile/odd-tree.sh's tree of that kind (fifo, deep) at folder."""
    subprocess.run([str(HOSTILE / "odd-tree.sh"), kind, str(folder)], check=True, timeout=120)
    return folder


def remove_tree(folder):
    """Remove a tree too deep for shutil.rmtree, which pytest's cleanup of
    old temporary folders uses: left there, it makes that cleanup fail
    with a RecursionError in every later run."""
    subprocess.run(["rm", "-rf", "--", str(folder)], check=True, timeout=120)


def conformance(base, name):
    return json.loads((base / "results" / name / "conformance.json").read_text())


def graded_clauses(doc):
    """The clauses a submission was graded on: every one but those the
    course's config does not ask the suite for, which are not run for all."""
    return [c for c in doc["clauses"] if c["verdict"] != NOT_RUN]
