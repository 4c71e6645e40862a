"""The client, run against fake servers of the suite: batch and binary input,
interactive use, slow servers, servers that end early or reset, refused
connections, and output that is exactly what the server sent."""

import os
import socket

import pytest

from echo_conformance import fakeservers as fake
from echo_conformance import net

pytestmark = pytest.mark.client

TEXT = b"".join(f"line {i}: the quick brown fox\n".encode() for i in range(200))


def binary_payload():
    """1 MiB: NUL bytes, a line longer than 64 KiB, no newline at the end."""
    payload = (b"\0" * 1000 + os.urandom(200 << 10) + b"\n" + b"L" * (70 << 10) + b"\n"
               + bytes(range(256)) * 64)
    payload += os.urandom((1 << 20) - len(payload) - 1) + b"x"
    return payload


def stdin_file(tmp_path, data):
    path = tmp_path / "stdin"
    path.write_bytes(data)
    return open(path, "rb")


def batch(run_client, fake_server, tmp_path, behaviour, data):
    """Run the client with data as a file on standard input; its exit status."""
    srv = fake_server(behaviour)
    with stdin_file(tmp_path, data) as stdin:
        c = run_client(srv.port, stdin)
        status = c.wait_exit()
    assert status is not None, (f"the client still runs {c.timeout:.0f} s after the last byte "
                                f"moved (it got {len(c.stdout)} of {len(srv.sent)} bytes the "
                                f"server sent): it hangs")
    return c, srv, status


def interactive(run_client, fake_server, behaviour):
    """The client with standard input kept open, after one line was echoed."""
    srv = fake_server(behaviour)
    c = run_client(srv.port)
    c.write(b"hello\n")
    assert c.wait_stdout(b"hello\n"), (f"the echo of a typed line did not appear on standard "
                                       f"output within {c.timeout:.0f} s (got {bytes(c.stdout)!r})")
    srv.proceed.set()
    return c


def exit_after_server_end(run_client, fake_server, behaviour, what):
    c = interactive(run_client, fake_server, behaviour)
    status = c.wait_exit()
    assert status is not None, (f"the client still runs {c.timeout:.0f} s after the server "
                                f"{what}, with its standard input open: it does not notice")
    return c, status


def assert_reported(c, status, what):
    assert status != 0 and c.stderr_text(), (
        f"when the server {what}, the client should exit non-zero with a message on standard "
        f"error; it exited with status {status} and said {c.stderr_text()!r}")


@pytest.mark.clause("C-BATCH-1")
def test_text_batch_is_echoed_and_exits_zero(run_client, fake_server, tmp_path):
    c, _, status = batch(run_client, fake_server, tmp_path, fake.echo, TEXT)
    net.assert_identical(TEXT, bytes(c.stdout), "the output differs from the input")
    assert status == 0, f"the client exited with status {status} after a complete echo: {c.stderr_text()!r}"


@pytest.mark.clause("C-BATCH-1")
def test_empty_input_exits_zero(run_client, fake_server, tmp_path):
    c, _, status = batch(run_client, fake_server, tmp_path, fake.echo, b"")
    assert status == 0 and not c.stdout, (f"with empty input the client should print nothing "
                                          f"and exit 0; it printed {len(c.stdout)} bytes and "
                                          f"exited with status {status}")


@pytest.mark.clause("C-BATCH-2")
def test_binary_batch_is_echoed_intact(run_client, fake_server, tmp_path):
    payload = binary_payload()
    c, _, status = batch(run_client, fake_server, tmp_path, fake.echo, payload)
    got = bytes(c.stdout)
    net.assert_identical(payload, got, "the 1 MiB binary echo differs")
    assert status == 0, f"the client exited with status {status} after a complete echo: {c.stderr_text()!r}"


@pytest.mark.clause("C-INT-1")
def test_each_echo_is_shown_before_more_input(run_client, fake_server):
    c = interactive(run_client, fake_server, fake.echo)
    shown = b"hello\n"
    for i in range(3):
        line = f"typed line {i}\n".encode()
        c.write(line)
        shown += line
        assert c.wait_stdout(shown), (f"the echo of typed line {i} did not appear on standard "
                                      f"output within {c.timeout:.0f} s while standard input "
                                      f"stayed open")
    c.close_stdin()
    assert c.wait_exit() is not None, "the client did not exit after the end of its input"


@pytest.mark.clause("C-SLOW-1")
def test_slow_echo_is_received_in_full(run_client, fake_server, tmp_path):
    c, _, _ = batch(run_client, fake_server, tmp_path, fake.slow_echo, TEXT)
    net.assert_identical(TEXT, bytes(c.stdout), "against a server that pauses before each echo")


@pytest.mark.clause("C-SLOW-1")
def test_echo_sent_well_after_client_eof_is_received(run_client, fake_server, tmp_path):
    c, _, _ = batch(run_client, fake_server, tmp_path, fake.late_echo, TEXT)
    net.assert_identical(TEXT, bytes(c.stdout), "against a server that echoes 1.5 s after "
                                                "the client's end of input")


@pytest.mark.clause("C-PREM-1")
def test_client_exits_when_server_closes_early(run_client, fake_server):
    exit_after_server_end(run_client, fake_server, fake.echo_first_line_then_close, "closed")


@pytest.mark.clause("C-PREM-2")
def test_server_closing_early_is_reported(run_client, fake_server):
    c, status = exit_after_server_end(run_client, fake_server, fake.echo_first_line_then_close,
                                      "closed")
    assert_reported(c, status, "closes while input is still open")


@pytest.mark.clause("C-RST-1")
def test_client_exits_when_server_resets(run_client, fake_server):
    exit_after_server_end(run_client, fake_server, fake.echo_first_line_then_reset, "reset")


@pytest.mark.clause("C-RST-2")
def test_server_reset_is_reported(run_client, fake_server):
    c, status = exit_after_server_end(run_client, fake_server, fake.echo_first_line_then_reset,
                                      "reset")
    assert_reported(c, status, "resets the connection")


@pytest.mark.clause("C-SHORT-1")
def test_short_echo_is_reported(run_client, fake_server, tmp_path):
    c, _, status = batch(run_client, fake_server, tmp_path, fake.short_echo, TEXT)
    assert_reported(c, status, "echoes only half of the input")


@pytest.mark.clause("C-REFUSED-1")
def test_refused_connection_is_reported(run_client, tmp_path):
    # Bound but not listening: connections are refused, and no one else can
    # take the port meanwhile.
    with socket.socket() as closed:
        closed.bind((net.HOST, 0))
        with stdin_file(tmp_path, b"nobody there\n") as stdin:
            c = run_client(closed.getsockname()[1], stdin)
            status = c.wait_exit()
    assert status is not None, f"the client still runs {c.timeout:.0f} s after its connection was refused"
    assert_reported(c, status, "refuses the connection (nothing listens)")


@pytest.mark.clause("C-EXACT-1")
def test_output_is_what_the_server_sent(run_client, fake_server, tmp_path):
    c, srv, _ = batch(run_client, fake_server, tmp_path, fake.swapcase_echo, TEXT)
    sent = bytes(srv.sent)
    net.assert_identical(sent, bytes(c.stdout), "the server answered with the input's case "
                                                "swapped; the client's output should be that answer")


@pytest.mark.clause("C-EXACT-1")
def test_nothing_is_printed_when_server_sends_nothing(run_client, fake_server, tmp_path):
    c, _, _ = batch(run_client, fake_server, tmp_path, fake.silent, TEXT)
    assert not c.stdout, (f"the server sent nothing, yet the client printed "
                          f"{len(c.stdout)} bytes: {bytes(c.stdout[:60])!r}")
