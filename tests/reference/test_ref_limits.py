"""The server checks at start that the machine allows the children -c
asks for: when -c asks for more than the limits allow, one clear message
names the limit and the command that raises it, never a silent cap.  Without -c nothing is
checked: the default is the kit's choice, not the user's demand, and a
short process limit then only makes forks fail and back off.
"""
import os
from pathlib import Path

import pytest

import refkit
from test_ref_cli import run

UID = 3_000_000 + os.getpid()
AS_UID = ("setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--")


def sysctl(name):
    return int(Path("/proc/sys", name.replace(".", "/")).read_text())


def test_c_beyond_pid_max_exits_1_naming_the_limit_and_the_command():
    """-c as large as kernel.pid_max cannot be: pids below 300 are never reused."""
    ask = sysctl("kernel.pid_max")
    status, out, err = run(refkit.SERVER, "-c", str(ask), "0")
    assert status == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "kernel.pid_max" in lines[0] and "sysctl -w kernel.pid_max=" in lines[0], err
    assert "listening" not in err


def test_c_beyond_rlimit_nproc_exits_1_naming_the_limit_and_the_command():
    """A user allowed 50 processes cannot have -c 100 children."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch users")
    status, out, err = run("prlimit", "--nproc=50", *AS_UID, refkit.SERVER, "-c", "100", "0")
    assert status == 1, err
    assert "RLIMIT_NPROC" in err and "ulimit -u 101" in err, err


def test_c_within_the_limits_starts(start_server):
    """-c 100 under a limit of 200 processes: no message, the server serves."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch users")
    server = start_server("-c", "100", wrapper=("prlimit", "--nproc=200", *AS_UID))
    assert refkit.echo_once(server) == b"ping\n"
    assert "RLIMIT_NPROC" not in server.log()
