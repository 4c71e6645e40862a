"""The sandbox on its own: what a process inside sees and cannot do, and
that it leaves nothing behind.  Fast: no suite runs here."""

import errno
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
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


def grader_and_submission_cgroups(box):
    """/proc/self/cgroup of a Python process on the grader's side of the
    sandbox (as inside.py is) and of a command of the submission it runs."""
    code = ("import subprocess, sys; from echo_conformance.grade import sandbox; "
            "print(open('/proc/self/cgroup').read().replace(chr(10), ' ')); sys.stdout.flush(); "
            f"subprocess.run(sandbox.command({UID}, sandbox.Limits(), "
            "['cat', '/proc/self/cgroup'], cwd='/tmp'))")
    _, output = box(["env", f"PYTHONPATH={PACKAGE_PARENT}", sys.executable, "-c", code])
    lines = output.strip().splitlines()
    return lines[0].replace(" ", "\n"), "\n".join(lines[1:])


def test_only_the_submission_is_held_to_the_cpu_limit(box):
    # The grader's side in the sandbox stays out of the CPU quota, so that a
    # fork bomb's thousands of processes cannot starve what must end them;
    # the submission's commands join it.  Both are in the sandbox's process
    # limit.
    grader, submission = grader_and_submission_cgroups(box)
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


# Issue 19: each class of hostile submission, contained.

def lines_of(output):
    return [line for line in output.splitlines() if line]


@pytest.fixture
def listening_unix(tmp_path):
    """Unix sockets listening where a host keeps its daemons' (/run) and in
    a readable folder; yields their paths and a function that tells whether
    any was connected to."""
    run_dir = Path(tempfile.mkdtemp(prefix="echo-grade-test-", dir="/run"))
    socks = []
    for path in (run_dir / "daemon.sock", tmp_path / "readable.sock"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        os.chmod(path, 0o777)
        s.listen(8)
        s.setblocking(False)
        socks.append(s)

    def connected():
        for s in socks:
            try:
                s.accept()[0].close()
                return True
            except BlockingIOError:
                pass
        return False
    yield [s.getsockname() for s in socks], connected
    for s in socks:
        s.close()
    shutil.rmtree(run_dir)


def test_no_classmate_file_nor_host_socket_is_reachable(listening_unix):
    # Issue 19.1 and 19.3: the submissions' and results' folders lie where
    # the view would show them (under /usr), with a classmate's work beside
    # the graded one; the snoop is given every path, as a grader's command
    # line would give them away.
    sockets, connected = listening_unix
    base = Path(tempfile.mkdtemp(prefix="echo-grade-test-", dir="/usr/local/share"))
    try:
        src, out = base / "class" / "alice", base / "results" / "alice"
        for folder in (src, out, base / "class" / "bob", base / "results" / "bob"):
            folder.mkdir(parents=True)
        (base / "class" / "bob" / "server.c").write_text("bob's own work\n")
        (base / "results" / "bob" / "build.log").write_text("bob's build\n")
        subprocess.run(["cc", "-o", str(src / "snoop"), str(HOSTILE / "snoop.c")], check=True)
        paths = [str(base / "class" / "bob" / "server.c"),
                 str(base / "results" / "bob" / "build.log"), "/etc/shadow",
                 "/root/.bash_history", "/work", *sockets]
        with open(base / "log", "wb") as log:
            sandbox.run("echo-grade-test", src, out, sandbox.Limits(wall_seconds=20),
                        sandbox.command(UID, sandbox.Limits(), [f"{sandbox.SRC}/snoop", *paths],
                                        cwd="/tmp"), log)
        lines = lines_of((base / "log").read_text())
    finally:
        shutil.rmtree(base)
    assert len(lines) == len(paths), lines
    assert all(line.startswith(("hidden ", "refused ")) for line in lines), lines
    assert not connected()


def test_the_graders_environment_does_not_reach_the_submission(box, monkeypatch):
    # Issue 19.2: only the sandbox's fixed variables inside.
    monkeypatch.setenv("ECHO_GRADE_TEST_TOKEN", "ghp_secret-of-the-person-grading")
    program = compile_hostile(box, "print-env")
    _, output = box(sandbox.command(UID, sandbox.Limits(), [program], cwd="/tmp"))
    names = {line.split("=", 1)[0] for line in lines_of(output)}
    assert "ghp_secret" not in output
    assert names and names <= set(sandbox.environment()) | {"PWD"}


def test_a_leftover_sending_sigstop_cannot_stop_the_helper(box):
    # Issue 19.4: the helper ends the submission's processes with kill(-1)
    # while a leftover of it (orphaned, as after a build) stops everything
    # it may signal; the helper must not be one of them, and must end it.
    # Thirty rounds: the old helper was open to it for microseconds a
    # round, and froze in two runs of three.
    stopper = compile_hostile(box, "sigstop-loop")
    code = ("import os, subprocess, time; from echo_conformance.grade import inside, sandbox\n"
            "for _ in range(30):\n"
            f"    subprocess.run(sandbox.command({UID}, sandbox.Limits(), "
            f"['sh', '-c', '{stopper} &'], cwd='/tmp'))\n"
            "    time.sleep(0.1)\n"
            f"    inside.end_submission({UID}, {UID + 1})\n"
            "left = [p for p in os.listdir('/proc') if p.isdigit() "
            f"and os.stat(f'/proc/{{p}}').st_uid == {UID}]\n"
            "print('helper ended the submission, left:', left)\n")
    outcome, output = box(["env", f"PYTHONPATH={PACKAGE_PARENT}", sys.executable, "-c", code],
                          wall_seconds=60)
    assert not outcome.timed_out
    assert "helper ended the submission, left: []" in output


def test_the_memory_limit_kills_the_submission_before_the_grader(box):
    # Issue 19.6: a grader-side process holds more memory than the hog
    # will; without the scores the kernel would pick it, the largest.
    hog = compile_hostile(box, "memory-hog")
    code = ("import subprocess; from echo_conformance.grade import sandbox; "
            "held = bytearray(b'x') * (160 << 20); "
            f"p = subprocess.run(sandbox.command({UID}, sandbox.Limits(memory_mib=256), ['{hog}'], "
            "cwd='/tmp')); print('grader alive, hog status', p.returncode)")
    outcome, output = box(["env", f"PYTHONPATH={PACKAGE_PARENT}", sys.executable, "-c", code],
                          memory_mib=256, wall_seconds=60)
    if not Path("/sys/fs/cgroup/memory").is_dir():
        pytest.skip("this machine has no cgroup v1 memory controller")
    assert "grader alive, hog status -9" in output
    assert any("of the submission's processes killed for memory" in e for e in outcome.events)


def test_kernel_state_beyond_the_sandbox_is_refused(box):
    # Issue 19.7: keyrings, new user namespaces, bpf, perf events, io_uring
    # and (on x86-64) the x32 ABI all fail with EPERM.
    program = compile_hostile(box, "kernel-state")
    _, output = box(sandbox.command(UID, sandbox.Limits(), [program], cwd="/tmp"))
    results = dict(line.split(" ", 1) for line in lines_of(output))
    expected = {"add_key", "keyctl", "request_key", "unshare", "clone", "bpf",
                "perf_event_open", "io_uring_setup"}
    assert expected <= set(results), output
    assert all(result == f"errno {errno.EPERM}" for result in results.values()), results


def capabilities(status):
    return {key: int(value, 16) for key, value in
            (line.split(":\t") for line in status.splitlines() if line.startswith("Cap"))}


def test_the_grader_side_keeps_only_the_capabilities_it_needs(box):
    # Issue 19.7: root in the sandbox has sandbox.CAPS (those root here
    # has), and the submission none at all.
    _, grader = box(["cat", "/proc/self/status"])
    _, submission = box(sandbox.command(UID, sandbox.Limits(), ["cat", "/proc/self/status"],
                                        cwd="/tmp"))
    wanted = sum(1 << n for n in set(sandbox.CAPS.values()) & sandbox.own_caps())
    assert capabilities(grader)["CapEff"] == wanted
    assert capabilities(submission)["CapEff"] == 0
    assert capabilities(submission)["CapInh"] == 0


def assert_cgroup_escape_contained(box):
    """cgroup-escape's attempts all refused, its leftover killed."""
    program = compile_hostile(box, "cgroup-escape")
    outcome, output = box(sandbox.command(UID, sandbox.Limits(), [program], cwd="/tmp"),
                          wall_seconds=3)
    attempts = lines_of(output)
    assert len(attempts) == 4 and not any(a.endswith(" ok") for a in attempts), attempts
    assert outcome.timed_out and not outcome.leftovers


def test_a_submission_cannot_loosen_nor_leave_its_cgroup(box):
    # Issue 19.9: its CPU group's files are root's; its double-forked
    # leftover dies with the sandbox.
    assert_cgroup_escape_contained(box)
