"""The sandbox on cgroup v2 (issue 19.9), on a scratch cgroup2 mount given
as the cgroup root: its core files (cgroup.procs, cgroup.freeze,
cgroup.kill) work there whatever controllers the machine gives v2, so the
groups, the kill and the unset limits' warning are tried here; the limits
themselves hold where v2 has the controllers (docs/grading.md)."""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from echo_conformance.grade import cgroup, sandbox
import test_sandbox
from test_sandbox import PACKAGE_PARENT, UID, compile_hostile

box = test_sandbox.box      # the same fixture, on the v2 root below


@pytest.fixture
def cgroup2(monkeypatch):
    """A cgroup2 hierarchy on a scratch path, as the sandbox's cgroup root;
    unmounted after."""
    mount = Path(tempfile.mkdtemp(prefix="echo-grade-cg2-"))
    done = subprocess.run(["mount", "-t", "cgroup2", "none", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount cgroup2 here: {done.stderr.strip()}")
    monkeypatch.setenv(cgroup.ROOT_ENV, str(mount))
    monkeypatch.setattr(sandbox, "_said", set())
    yield mount
    subprocess.run(["umount", str(mount)], check=True)
    mount.rmdir()


def v2_line(text):
    return next(line for line in text.splitlines() if line.startswith("0::"))


def test_v2_is_used_where_the_root_is_a_cgroup2_mount(cgroup2):
    assert cgroup.version() == 2


def test_v2_holds_the_grader_side_and_the_submission_apart(box, cgroup2):
    # The grader's side in `grader`, the submission's programs in `sub`
    # (cpu.max is set there), both below the sandbox's group.
    grader, submission = test_sandbox.grader_and_submission_cgroups(box)
    assert v2_line(grader).endswith("/echo-grade-test/grader")
    assert v2_line(submission).endswith("/echo-grade-test/sub")


def test_v2_a_cgroup_escape_is_refused_and_its_leftover_killed(box, cgroup2):
    test_sandbox.assert_cgroup_escape_contained(box)
    assert not list(cgroup2.glob("**/echo-grade-test"))


def test_v2_a_fork_bomb_is_held_and_leaves_nothing(box, cgroup2):
    # Held by pids.max where v2 has the pids controller, by RLIMIT_NPROC
    # where not; killed by cgroup.kill either way.
    bomb = compile_hostile(box, "fork-bomb")
    outcome, _ = box(sandbox.command(UID, sandbox.Limits(processes=64), [bomb], cwd="/tmp"),
                     processes=64, wall_seconds=5)
    assert outcome.timed_out and not outcome.leftovers


def test_v2_limits_that_cannot_be_set_are_said_loudly(box, cgroup2, capfd):
    # Each controller v2 does not offer here is named, on the terminal and
    # in the outcome (the report's limits_not_set).
    offered = (cgroup2 / "cgroup.controllers").read_text().split()
    missing = [c for c in cgroup.V2_CONTROLLERS if c not in offered]
    outcome, _ = box(["true"])
    said = capfd.readouterr().err
    for controller in missing:
        assert any(cgroup.LIMIT_NAMES[controller] in why for why in outcome.unset)
        assert f"WARNING: limit not set: {cgroup.LIMIT_NAMES[controller]}" in said
    for controller in set(cgroup.V2_CONTROLLERS) - set(missing):
        assert not any(cgroup.LIMIT_NAMES[controller] in why for why in outcome.unset)


@pytest.fixture
def delegated(cgroup2):
    """A group of the scratch hierarchy offered hugetlb (the one controller
    this machine gives v2: enough to try a hand-down), as a delegated scope
    would be; removed after, with the root's hand-down taken back."""
    offered = (cgroup2 / "cgroup.controllers").read_text().split()
    if "hugetlb" not in offered:
        pytest.skip("v2 has no controller here to hand down")
    had = "hugetlb" in (cgroup2 / "cgroup.subtree_control").read_text().split()
    (cgroup2 / "cgroup.subtree_control").write_text("+hugetlb\n")
    scope = cgroup2 / "echo-grade-test-scope"
    scope.mkdir()
    yield scope
    for leaf in scope.glob("echo-grade-*-self"):
        leaf.rmdir()
    (scope / "cgroup.subtree_control").write_text("-hugetlb\n")
    scope.rmdir()
    if not had:
        (cgroup2 / "cgroup.subtree_control").write_text("-hugetlb\n")


def test_v2_a_grader_alone_in_its_group_moves_to_a_leaf_to_hand_controllers_down(delegated):
    # A group holding a process cannot enable controllers for its children
    # (EBUSY): the grader, alone in its scope, moves itself into a leaf.
    code = ("import os, sys; from pathlib import Path; from echo_conformance.grade import cgroup; "
            "scope = Path(sys.argv[1]); (scope / 'cgroup.procs').write_text(str(os.getpid())); "
            "print(cgroup.enable(scope, ['hugetlb'])); "
            "print(open('/proc/self/cgroup').read())")
    done = subprocess.run([sys.executable, "-c", code, str(delegated)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(PACKAGE_PARENT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("(['hugetlb'], {})")
    assert "hugetlb" in (delegated / "cgroup.subtree_control").read_text().split()
    where = v2_line(done.stdout)
    assert where.startswith("0::/echo-grade-test-scope/echo-grade-") and where.endswith("-self")
