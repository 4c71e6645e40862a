"""`make demo` shows what the classic text says, checked against /proc and
against the conformance suite (docs/zombies.md).

Most tests read one full run of the demo (all stages, with the suite's
verdicts); the rest start stages themselves.
"""

import importlib.util
import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build")).resolve()
DEMO = ROOT / "demo" / "demo.py"
from echo_conformance import procfs
from echo_conformance.report import FAILED, PASSED

FIVE = 5    # connections of the five-connection client


def run_demo(*args, timeout=900, **kwargs):
    return subprocess.run([sys.executable, str(DEMO), "--build", str(BUILD), *args],
                          capture_output=True, timeout=timeout, **kwargs)


def gone(pid):
    return procfs.proc(pid) is None


def all_gone(pids, within=10.0):
    """True once every pid has gone: orphaned zombies are collected by
    whichever process adopts them, which takes a moment."""
    deadline = time.monotonic() + within
    while not all(gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One full run: {stage name: what the demo saw} and its printed text."""
    seen = tmp_path_factory.mktemp("demo") / "seen.json"
    done = run_demo("--json", str(seen))
    text = done.stdout.decode()
    assert done.returncode == 0, text + done.stderr.decode()
    return {s["name"]: s for s in json.loads(seen.read_text())}, text


def section(text, name):
    """The part of the demo's output about one stage."""
    return text.split(f"== {name}:", 1)[1].split("\n== ", 1)[0]


def terminated(stage):
    return [line for line in stage["server_said"] if line.endswith(" terminated")]


def test_stage1_leaves_a_zombie_per_finished_client(demo):
    stage1 = demo[0]["stage1"]
    assert stage1["alive"] and stage1["rounds"] == 1
    assert stage1["zombies"] == FIVE and stage1["running_children"] == 0


def test_stage1_zombies_are_marked_in_the_tree(demo):
    rows = [line for line in section(demo[1], "stage1").splitlines() if "<defunct>" in line]
    assert len(rows) == FIVE and all(line.endswith("<- zombie") for line in rows)


def test_stage2_dies_when_its_first_child_exits(demo):
    stage2 = demo[0]["stage2"]
    assert not stage2["alive"] and stage2["status"] == 1 and stage2["rounds"] == 1
    # The handler ran (one wait() per run; signals that arrive meanwhile may
    # run it again before accept() returns), then accept() failed with EINTR.
    assert 1 <= len(terminated(stage2)) <= FIVE
    # (A handler may still run while exit() is under way, so this need not be the last line.)
    assert any(line.endswith("accept: Interrupted system call") for line in stage2["server_said"])
    assert stage2["client"][0]["status"] == 0, "the echo itself worked"


def test_stage3_survives_but_leaves_zombies(demo):
    stage3 = demo[0]["stage3"]
    assert stage3["alive"] and stage3["zombies"] >= 1 and stage3["running_children"] == 0
    # The handler did run, once per signal delivered, fewer times than children ended.
    ended = FIVE * stage3["rounds"]
    assert 1 <= len(terminated(stage3)) == ended - stage3["zombies"]


@pytest.mark.parametrize("name", ["stage4", "reference"])
def test_stage4_and_reference_leave_no_zombie(demo, name):
    stage = demo[0][name]
    assert stage["alive"] and stage["rounds"] == 3
    assert stage["zombies"] == 0 and stage["running_children"] == 0
    assert [r["pid"] for r in stage["rows"]] == [stage["server_pid"]]


@pytest.mark.parametrize("name, clauses", [
    ("stage1", {"S-REAP-1"}),               # zombies after clients close
    ("stage2", {"S-SIG-1"}),                # EINTR from accept() is fatal
    # wait() once: zombies when signals merge (whether they do in the suite's
    # burst of closes depends on scheduling), and a handler that blocks.
    ("stage3", {"S-REAP-2", "S-SIG-3"}),
])
def test_suite_rejects_the_stage_for_its_clause(demo, name, clauses):
    result = demo[0][name]["verdict"]
    failed = {c for c, v in result["clauses"].items() if v == FAILED}
    assert result["status"] == 1 and failed & clauses
    assert "verdict: FAIL" in section(demo[1], name)
    assert all(c in section(demo[1], name) for c in failed)


@pytest.mark.parametrize("name", ["stage4", "reference"])
def test_suite_passes_stage4_and_the_reference(demo, name):
    result = demo[0][name]["verdict"]
    assert result["status"] == 0
    assert result["clauses"] and set(result["clauses"].values()) == {PASSED}
    assert "verdict: PASS" in section(demo[1], name)


def test_every_process_the_demo_saw_is_ended(demo):
    assert all_gone([pid for stage in demo[0].values() for pid in stage["seen"]])


def test_no_colour_when_output_is_not_a_terminal(demo):
    assert "\033[" not in demo[1]


def load_demo_module():
    spec = importlib.util.spec_from_file_location("demo_driver", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tree_shown_is_the_tree_in_proc():
    driver = load_demo_module()
    server = driver.Server([str(BUILD / "demo" / "stage1")], timeout=10)
    try:
        driver.run_client(str(BUILD / "echo-client"), server, timeout=30)
        driver.settle(server, limit=5)
        shown = {r["pid"]: (r["ppid"], r["stat"]) for r in driver.tree(server.pid)}
        below = procfs.descendants(server.pid)
        in_proc = {p.pid: (p.ppid, p.state) for p in below.values()}
        in_proc[server.pid] = (os.getpid(), procfs.proc(server.pid).state)
    finally:
        server.stop()
    assert shown == in_proc
    assert sum(state == "Z" for _, state in shown.values()) == FIVE
    assert all_gone(shown)


def test_the_client_is_let_go_only_once_the_server_waits_with_all_its_children():
    # The lesson of stage 2 needs the server inside accept() when its
    # children end: the demo ends the client's input only then.
    driver = load_demo_module()
    server = driver.Server([str(BUILD / "demo" / "stage1")], timeout=10)
    socks = []
    try:
        socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(FIVE - 1)]
        started = time.monotonic()
        driver.wait_in_accept(server, FIVE, limit=1.0)
        waited = time.monotonic() - started
        running = driver.running_children(server.pid)
        socks.append(socket.create_connection(("127.0.0.1", server.port)))
        driver.wait_in_accept(server, FIVE, limit=30)
        running_then = driver.running_children(server.pid)
        in_accept = driver.waiting(server.pid)
    finally:
        for sock in socks:
            sock.close()
        server.stop()
    assert waited >= 1.0 and len(running) == FIVE - 1, "one child short: it waits out its bound"
    assert len(running_then) == FIVE and in_accept


def test_ctrl_c_ends_every_process():
    # --step pauses with the stage's server still running: the moment to interrupt.
    # A shell without job control starts background commands with SIGINT
    # ignored, and Python then never turns it into KeyboardInterrupt: give the
    # demo the disposition a terminal's Ctrl-C meets.
    demo_proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--build", str(BUILD), "--step", "--no-verdict",
         "--stages", "stage1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pids = []
    try:
        for line in demo_proc.stdout:
            if m := re.match(r"\s*(\d+)\s+\d+\s+[A-Z]\s", line):
                pids.append(int(m[1]))
            if "Enter to go on" in line:
                break
        assert len(pids) == 1 + FIVE and not any(gone(pid) for pid in pids[:1])
        demo_proc.send_signal(signal.SIGINT)
        assert demo_proc.wait(timeout=30) == 130
    finally:
        if demo_proc.poll() is None:
            demo_proc.kill()
            demo_proc.wait()
    assert all_gone(pids)


def run_on_terminal(env):
    """The demo's output when its standard output is a terminal."""
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--build", str(BUILD), "--no-verdict", "--stages", "stage1"],
        stdin=subprocess.DEVNULL, stdout=child, stderr=child, env=env)
    os.close(child)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(parent, 4096)
        except OSError:     # EIO: the demo has exited and closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(parent)
    assert proc.wait(timeout=30) == 0
    return out.decode(errors="replace")


def test_colour_on_a_terminal():
    assert "\033[31m" in run_on_terminal({k: v for k, v in os.environ.items() if k != "NO_COLOR"})


def test_no_colour_on_a_terminal_with_no_color_set():
    assert "\033[" not in run_on_terminal({**os.environ, "NO_COLOR": "1"})
