"""Issue 19's hostile submissions graded the way a class is, with
`echo-conformance grade`: each fails alone, in seconds, with its reason,
and learns nothing of the others nor of the person grading."""

import json
import shutil
import stat

import pytest

from conftest import (GRADE_ENV, HOSTILE, conformance, grade, graded_clauses, odd_tree,
                      remove_tree)

TOKEN = "ghp_token-of-the-person-grading"
CONFIG = """\
[grade]
sides = server
listen_timeout = 3
[limits]
wall_seconds = 120
"""


def program_submission(folder, source, server_script=None):
    """A submission whose echo-server is the hostile program, or a script
    that runs it with arguments."""
    folder.mkdir(parents=True)
    shutil.copy(HOSTILE / source, folder / source)
    binary = "echo-server" if server_script is None else "hostile"
    make = f"all:\n\tcc -o {binary} {source}\n"
    if server_script is not None:
        make += f"\tprintf '#!/bin/sh\\nexec ./hostile {server_script}\\n' > echo-server\n"
        make += "\tchmod +x echo-server\n"
    (folder / "Makefile").write_text(make)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    cls, results = base / "class", base / "results"
    program_submission(cls / "stopper", "sigstop-loop.c")
    (cls / "env-printer").mkdir(parents=True)
    (cls / "env-printer" / "Makefile").write_text("all:\n\tenv\n")
    # The snoop knows where the others are, as the grader's command line tells.
    looked_at = [cls / "env-printer" / "Makefile", results / "env-printer" / "build.log",
                 results / "results.csv"]
    program_submission(cls / "snoop", "snoop.c", " ".join(map(str, looked_at)))
    for kind in ("fifo", "deep"):
        odd_tree(kind, cls / kind)
    config = base / "grading.ini"
    config.write_text(CONFIG)
    env = {**GRADE_ENV, "ECHO_GRADE_TEST_TOKEN": TOKEN}
    result = grade(cls, results, config, env=env, timeout=600)
    try:
        assert result.returncode == 0, result.stderr
        yield base, looked_at
    finally:
        remove_tree(cls / "deep")


def server_reasons(base, name):
    return {c["reason"] for c in graded_clauses(conformance(base, name)) if c["id"].startswith("S-")}


def test_a_leftover_stopping_all_it_can_does_not_stop_the_grading(hostile_class):
    # Issue 19.4: graded in seconds, not by the wall clock.  The race is
    # narrow here (the old helper lost it in test_sandbox's thirty rounds,
    # not in this one probe): this is the whole path, that one the proof.
    base, _ = hostile_class
    doc = conformance(base, "stopper")
    assert not doc["grading"]["timed_out"]
    reasons = server_reasons(base, "stopper")
    assert reasons and all("did not listen" in r for r in reasons), reasons


@pytest.mark.parametrize("name, why", [("fifo", "is a FIFO"), ("deep", "folders deep")])
def test_an_odd_tree_fails_that_submission_alone_with_the_reason(hostile_class, name, why):
    # Issue 19.10.
    base, _ = hostile_class
    reasons = {c["reason"] for c in graded_clauses(conformance(base, name))}
    assert len(reasons) == 1 and why in reasons.pop()
    assert not conformance(base, name)["grading"]["timed_out"]


def test_the_graders_environment_is_not_in_a_build_log(hostile_class):
    # Issue 19.2: the build printed its whole environment.
    base, _ = hostile_class
    log = (base / "results" / "env-printer" / "build.log").read_text()
    assert "PATH=" in log and TOKEN not in log


def test_a_snoop_reads_nothing_of_the_others(hostile_class):
    # Issue 19.1: given the paths of a classmate's work and results.
    base, looked_at = hostile_class
    log = (base / "results" / "snoop" / "server-stderr.log").read_text().splitlines()
    assert len(log) == len(looked_at)
    assert all(line.startswith("hidden ") for line in log), log


def test_results_folders_are_root_only(hostile_class):
    # Issue 19.1: other users of the machine are classmates too.
    base, _ = hostile_class
    results = base / "results"
    for folder in [results, *(p for p in results.iterdir() if p.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    assert json.loads((results / "stopper" / "conformance.json").read_text())
