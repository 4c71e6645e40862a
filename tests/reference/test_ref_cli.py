"""The command lines of echo-server and echo-client: every command-line
error gives a clear message and exit status 2, and nothing aborts or
hangs; both programs take --help and --version.  Errors met once the
arguments are fine (address in use, unknown host, refused) exit 1.
"""
import os
import re
import signal
import socket
import subprocess

import pytest

import refkit
from echo_conformance import procs


def run(program, *args, seconds=5):
    """Runs program in a session of its own; returns (status, stdout,
    stderr), or fails the test - killing its group - if it does not exit."""
    proc = subprocess.Popen([program, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        out, err = proc.communicate(timeout=refkit.scaled(seconds))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        procs.end_adopted(refkit.scaled(5))
        pytest.fail(f"{' '.join(args)}: still running after {seconds} s; stderr: {err!r}")
    return proc.returncode, out, err


def assert_usage_error(err, name):
    """stderr holds a line naming the program and the problem, then the usage."""
    first, _, rest = err.partition("\n")
    assert name in first and not first.startswith("usage:"), err
    assert rest.startswith(f"usage: {name}"), err


SERVER_USAGE_ERRORS = [
    ["-c", "0"], ["-c", "-5"], ["-c", "abc"], ["-c", ""], ["-c", "1000001"], ["-c", "5x"],
    ["-t", "x"], ["-t", "-1"], ["-t", "86401"],
    ["-g", "x"], ["-g", "-1"], ["-g", "3601"],
    ["-p", "abc"], ["-p", "-1"], ["-p", "65536"], ["-p", "99999"], ["-p", ""],
    ["-c"], ["-x"], ["--bogus"], ["--help=yes"], ["1", "2"],
]


@pytest.mark.parametrize("args", SERVER_USAGE_ERRORS, ids=" ".join)
def test_server_usage_error_exits_2_with_a_message(args):
    """A bad option or value is named on stderr, nothing goes to stdout,
    the server exits 2 at once (it must not start listening)."""
    status, out, err = run(refkit.SERVER, *args, seconds=2)
    assert status == 2, f"exit {status}, stderr {err!r}"
    assert_usage_error(err, "echo-server")
    assert out == ""


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_server_help_goes_to_stdout_and_exits_0(option):
    """--help prints the usage, every option included, on stdout; exit 0."""
    status, out, err = run(refkit.SERVER, option)
    assert (status, err) == (0, "")
    assert out.startswith("usage: echo-server")
    for flag in ("-b", "-c", "-d", "--drain", "-g", "-p", "-t", "-v", "--help", "--version"):
        assert flag in out


@pytest.mark.parametrize("program", [refkit.SERVER, refkit.CLIENT], ids=os.path.basename)
@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version_names_program_and_version(program, option):
    """--version prints "NAME X.Y.Z" on stdout and exits 0."""
    status, out, err = run(program, option)
    assert (status, err) == (0, "")
    assert re.fullmatch(rf"{os.path.basename(program)} \d+\.\d+\.\d+\n", out)


def test_server_port_in_use_exits_1_with_a_clear_message():
    """Another socket listening on the port: exit 1, saying why."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        status, out, err = run(refkit.SERVER, "-p", str(port))
    assert status == 1
    assert "Address already in use" in err and str(port) in err


def test_server_unknown_host_exits_1_with_a_clear_message():
    """An address that does not resolve: exit 1, naming it."""
    status, out, err = run(refkit.SERVER, "-p", "0", "-b", "no-such-host.invalid")
    assert status == 1
    assert "no-such-host.invalid" in err


CLIENT_USAGE_ERRORS = [
    [], ["-n", "0"], ["-n", "x"], ["-n", "1001"], ["-n"], ["-x", "127.0.0.1"],
    ["127.0.0.1", "1", "2"], ["127.0.0.1", "abc"], ["127.0.0.1", "99999"],
]


@pytest.mark.parametrize("args", CLIENT_USAGE_ERRORS, ids=lambda a: " ".join(a) or "no-args")
def test_client_usage_error_exits_2_with_a_message(args):
    """A missing host, bad -n, bad port or extra argument: a message on
    stderr, exit 2, without connecting anywhere."""
    status, out, err = run(refkit.CLIENT, *args, seconds=2)
    assert status == 2, f"exit {status}, stderr {err!r}"
    assert_usage_error(err, "echo-client")
    assert out == ""


def test_client_help_goes_to_stdout_and_exits_0():
    status, out, err = run(refkit.CLIENT, "--help")
    assert (status, err) == (0, "")
    assert out.startswith("usage: echo-client") and "-n" in out


def test_client_refused_port_exits_1_with_a_clear_message():
    """Nothing listens on the port: exit 1 with the reason."""
    # SPEC C-REFUSED-1.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))   # reserved, never listening: refuses
        port = holder.getsockname()[1]
        status, out, err = run(refkit.CLIENT, "127.0.0.1", str(port))
    assert status == 1
    assert "Connection refused" in err


def test_client_unknown_host_exits_1_with_a_clear_message():
    status, out, err = run(refkit.CLIENT, "no-such-host.invalid", "9")
    assert status == 1
    assert "no-such-host.invalid" in err
