"""The sandbox on its own: what a process inside sees and cannot do, and
that it leaves nothing behind.  Fast: no suite runs here."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from echo_conformance.grade import config, sandbox

HOSTILE = Path(__file__).resolve().parent / "hostile"
PACKAGE_PARENT = Path(__file__).resolve().parents[2] / "tests" / "integration"
UID = 61099


@pytest.fixture
def box(tmp_path):
    """Runs argv in a sandbox with small limits; returns (outcome, its output)."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()

    def run(argv, **limits):
        log_path = tmp_path / "sandbox.log"
        with open(log_path, "wb") as log:
            outcome = sandbox.run("echo-grade-test", src, out,
                                  sandbox.Limits(**{"wall_seconds": 20, **limits}), argv, log)
        return outcome, log_path.read_text(errors="replace")
    run.src = src
    return run


def compile_hostile(box, name):
    subprocess.run(["cc", "-o", str(box.src / name), str(HOSTILE / f"{name}.c")], check=True)
    return f"{sandbox.SRC}/{name}"


def test_the_network_inside_has_loopback_only(box):
    # Looked at, never used: no traffic leaves the machine.
    _, output = box(["cat", "/proc/net/dev"])
    interfaces = {line.split(":")[0].strip() for line in output.splitlines() if ":" in line}
    assert interfaces == {"lo"}


def test_the_machine_is_read_only_inside(box):
    outcome, output = box(["sh", "-c", "touch /usr/echo-grade-test; echo status $?"])
    assert "status 1" in output
    assert not Path("/usr/echo-grade-test").exists()


def test_submission_commands_run_without_root(box):
    _, output = box(sandbox.command(UID, sandbox.Limits(), ["id", "-u"], cwd="/tmp"))
    assert output.split()[-1] == str(UID)


def cgroup_line(text, controller):
    return next(line for line in text.splitlines()
                if controller in line.split(":")[1].split(","))


def test_only_the_submission_is_held_to_the_cpu_limit(box):
    # The grader's side in the sandbox (here a Python process, as inside.py
    # is) stays out of the CPU quota, so that a fork bomb's thousands of
    # processes cannot starve what must end them; the submission's commands
    # join it.  Both are in the sandbox's process limit.
    code = ("import subprocess, sys; from echo_conformance.grade import sandbox; "
            "print(open('/proc/self/cgroup').read().replace(chr(10), ' ')); sys.stdout.flush(); "
            f"subprocess.run(sandbox.command({UID}, sandbox.Limits(), ['cat', '/proc/self/cgroup'], "
            "cwd='/tmp'))")
    _, output = box(["env", f"PYTHONPATH={PACKAGE_PARENT}", sys.executable, "-c", code])
    lines = output.strip().splitlines()
    grader, submission = lines[0].replace(" ", "\n"), "\n".join(lines[1:])
    if not Path("/sys/fs/cgroup/cpu").is_dir():
        pytest.skip("this machine has no cgroup v1 cpu controller")
    assert "echo-grade-test" not in cgroup_line(grader, "cpu")
    assert "echo-grade-test" in cgroup_line(submission, "cpu")
    assert "echo-grade-test" in cgroup_line(grader, "pids")
    assert "echo-grade-test" in cgroup_line(submission, "pids")


def test_a_fork_bomb_hits_the_process_limit_and_leaves_nothing(box):
    bomb = compile_hostile(box, "fork-bomb")
    outcome, _ = box(sandbox.command(UID, sandbox.Limits(), [bomb], cwd="/tmp"),
                     processes=64, wall_seconds=5)
    assert outcome.timed_out
    assert any("process limit" in e for e in outcome.events)
    assert not outcome.leftovers


def test_a_busy_loop_is_ended_by_the_wall_clock(box):
    spin = compile_hostile(box, "busy-loop")
    outcome, _ = box(sandbox.command(UID, sandbox.Limits(), [spin], cwd="/tmp"),
                     wall_seconds=3)
    assert outcome.timed_out and not outcome.leftovers


def test_a_busy_loop_is_ended_by_its_cpu_time_limit(box):
    spin = compile_hostile(box, "busy-loop")
    outcome, output = box(["sh", "-c", shlex.join(sandbox.command(
        UID, sandbox.Limits(cpu_seconds=1), [spin], cwd="/tmp")) + "; echo status $?"],
        wall_seconds=60)
    assert not outcome.timed_out
    assert "status 137" in output or "status 152" in output     # SIGKILL or SIGXCPU


def test_a_double_forked_process_dies_with_its_sandbox(box):
    outcome, _ = box(sandbox.command(UID, sandbox.Limits(), [
        "sh", "-c", "(setsid sleep 1000 &) ; sleep 1000"], cwd="/tmp"), wall_seconds=3)
    assert outcome.timed_out and not outcome.leftovers


def test_a_config_gives_points_by_level_and_by_clause(tmp_path):
    toml = tmp_path / "g.toml"
    toml.write_text('[grade]\nsides = ["server"]\n[points]\nMUST = 3\n"S-ECHO-1" = 7\n')
    ini = tmp_path / "g.ini"
    ini.write_text("[grade]\nsides = server\n[points]\nMUST = 3\nS-ECHO-1 = 7\n")
    for path in (toml, ini):
        c = config.load(path)
        assert c.sides == ("server",)
        assert (c.points_for("S-ECHO-1", "MUST"), c.points_for("S-ECHO-2", "MUST"),
                c.points_for("S-IDLE-1", "SHOULD")) == (7, 3, 1)


def test_a_config_with_an_unknown_key_is_refused(tmp_path):
    ini = tmp_path / "g.ini"
    ini.write_text("[grade]\nbulid = make\n")
    with pytest.raises(SystemExit, match="unknown key grade.bulid"):
        config.load(ini)
