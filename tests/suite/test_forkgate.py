"""The fork gate (S-EXH-2's tool) on its own: a program started behind it
forks while the gate is open, gets EAGAIN from fork() while it is closed,
and forks again once it is reopened, whatever user runs the suite."""

import errno
import subprocess
import sys

import pytest

from echo_conformance import procs
from echo_conformance.forkgate import ForkGate

# Forks once per line it reads, and prints what fork() gave: "ok" or the
# errno, so that the test decides when each fork happens.
FORKER = """\
import os, sys
for line in sys.stdin:
    try:
        pid = os.fork()
    except OSError as e:
        print(e.errno, flush=True)
        continue
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("ok", flush=True)
"""


@pytest.fixture
def gated():
    gate = ForkGate()
    proc = procs.spawn([sys.executable, "-c", FORKER], before_exec=gate.install,
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    gate.attach()
    if gate.unavailable:
        proc.kill()
        proc.wait()
        gate.close()
        pytest.fail(f"no fork gate on this machine: {gate.unavailable}")

    def fork():
        proc.stdin.write("fork\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()
    yield gate, fork
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    proc.stdout.close()
    gate.close()


def test_an_open_gate_lets_fork_go_on(gated):
    gate, fork = gated
    assert fork() == "ok"
    assert gate.calls >= 1 and gate.refused == 0


def test_a_closed_gate_fails_fork_with_eagain(gated):
    gate, fork = gated
    gate.open = False
    assert fork() == str(errno.EAGAIN)
    assert gate.refused == 1


def test_a_reopened_gate_lets_fork_go_on_again(gated):
    gate, fork = gated
    gate.open = False
    fork()
    gate.open = True
    assert fork() == "ok"
    assert gate.refused == 1
