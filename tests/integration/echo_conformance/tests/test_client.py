"""The client, run against fake servers of the suite: batch and binary input,
interactive use, slow servers, servers that end early or reset, refused
connections, and output that is exactly what the server sent."""

import os
import socket

import pytest

from echo_conformance import fakeservers as fake
from echo_conformance.client import HOST_NAME, PrivateHosts
from echo_conformance import net
from echo_conformance.program import describe_status

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


def batch(run_client, fake_server, tmp_path, behaviour, data, silence=0.0):
    """Run the client with data as a file on standard input; its exit status.
    silence: how long the fake server itself stays silent, on top of the
    timeout."""
    srv = fake_server(behaviour)
    with stdin_file(tmp_path, data) as stdin:
        c = run_client(srv.port, stdin)
        status = c.wait_exit(silence)
    assert status is not None, (f"the client still runs {c.timeout:.0f} s after the last byte "
                                f"moved (it got {len(c.stdout)} of {srv.sent_count} bytes the "
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
        f"error; it ended with {describe_status(status)} and said {c.stderr_text()!r}")


def largest_buffer(kind, default):
    """The most a socket's kind ("rmem": receive, "wmem": send) buffer can
    reach: by the kernel's autotuning (tcp_rmem, tcp_wmem) or by a
    program's own setsockopt() (twice net.core.rmem_max, wmem_max); default
    where neither can be read."""
    found = [factor * n for name, field, factor in ((f"ipv4/tcp_{kind}", 2, 1),
                                                    (f"core/{kind}_max", 0, 2))
             if (n := net.sysctl(name, field)) is not None]
    return max(found, default=0) or default


def buffers_bytes():
    """All that the socket buffers between the client and a server could
    ever hold, both ways, at their largest, and 1 MiB more: an input this
    large cannot all be sent before some of its echo is read."""
    both = largest_buffer("rmem", 6 << 20) + largest_buffer("wmem", 4 << 20)
    return max(2 * both + (1 << 20), 16 << 20)


@pytest.fixture(scope="module")
def large_input(tmp_path_factory):
    """A file larger than all socket buffers (buffers_bytes()), and its bytes."""
    data = os.urandom(buffers_bytes())
    path = tmp_path_factory.mktemp("large") / "stdin"
    path.write_bytes(data)
    return path, data


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


@pytest.mark.clause("C-BATCH-3")
def test_input_larger_than_socket_buffers_is_echoed(run_client, fake_server, large_input,
                                                    settings):
    # A client that blocks in a write while the echo fills its receive
    # buffer (it sends all its input first, or sends each piece with a
    # blocking write) waits for ever: the server, blocked sending that
    # echo, stops reading.  The held-back echo makes this certain rather
    # than a matter of timing; the run ends on a silence of the timeout.
    path, data = large_input
    hold = largest_buffer("rmem", 6 << 20) + (1 << 20)
    srv = fake_server(fake.held_back_echo(hold, 0.2 * settings.scale))
    with open(path, "rb") as stdin:
        c = run_client(srv.port, stdin)
        status = c.wait_exit()
    assert status is not None, (
        f"the client still runs {c.timeout:.0f} s after the last byte moved, with "
        f"{len(c.stdout)} of {len(data)} bytes of echo on its standard output: a client that "
        f"waits inside a write while its echo waits unread (it sends all its input first, or "
        f"each piece with a blocking write) waits for ever once the server holds back its "
        f"echo until the client's sends are blocked")
    net.assert_identical(data, bytes(c.stdout), f"the echo of {len(data) >> 20} MiB of input")
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


@pytest.mark.clause("C-INT-2")
def test_lines_pasted_at_once_are_all_echoed(run_client, fake_server):
    # Pasted lines reach the client in one read.  A client that reads them
    # through stdio after poll() has the later lines in stdio's buffer,
    # where poll() does not see them, and shows only the first.
    c = interactive(run_client, fake_server, fake.echo)
    pasted = b"pasted line 1\npasted line 2\npasted line 3\n"
    c.write(pasted)
    assert c.wait_stdout(b"hello\n" + pasted), (
        f"{len(pasted.splitlines())} lines written to standard input at once: their echo did not "
        f"all appear within {c.timeout:.0f} s while standard input stayed open (got "
        f"{bytes(c.stdout)!r})")


@pytest.mark.clause("C-OUT-1")
def test_failed_write_to_stdout_is_reported(run_client, fake_server):
    # Interactive, so that the client has an echo to write for certain
    # before anything else ends it.
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system: a failing standard output cannot be given")
    srv = fake_server(fake.echo)
    with open("/dev/full", "wb") as full:
        c = run_client(srv.port, stdout=full)
    c.write(b"hello\n")
    status = c.wait_exit()
    assert status is not None, (
        f"the client still runs {c.timeout:.0f} s after the server echoed a typed line "
        f"({srv.sent_count} bytes) that its standard output, /dev/full, could not take: it "
        f"goes on as if the echo had been shown")
    assert status != 0 and c.stderr_text(), (
        f"the client's standard output was /dev/full, where every write fails: it should "
        f"exit non-zero with a message on standard error; it ended with "
        f"{describe_status(status)} and said {c.stderr_text()!r}")


@pytest.mark.clause("C-HOST-1")
def test_host_name_is_tried_address_after_address(run_client, fake_server, tmp_path, settings):
    # As on a stock Debian, localhost is ::1 first, then 127.0.0.1; the
    # server listens on 127.0.0.1 only, and its port on ::1 is held, unused,
    # so that connecting there is refused.
    if "{host}" not in settings.client_cmd:
        pytest.skip("the client command has no {host}: no host name can be given to it")
    hosts = PrivateHosts(tmp_path)
    if why := hosts.unavailable(settings.timeout):
        pytest.skip(why)
    # Used interactively, as C-INT-1 does, so that only the connection is
    # judged here, not the client's batch use.
    srv = fake_server(fake.echo)
    with socket.socket(socket.AF_INET6) as refusing:
        try:
            refusing.bind(("::1", srv.port))
        except OSError:
            pass    # no IPv6 here: ::1 is unreachable, which refuses as well
        c = run_client(srv.port, host=HOST_NAME, prefix=hosts.prefix)
        c.write(b"hello by name\n")
        shown = c.wait_stdout(b"hello by name\n")
    status = c.proc.poll()
    assert shown, (f"given the host name {HOST_NAME} (::1, where nothing listens, then "
                   f"127.0.0.1, where the server does), the client should try the next address "
                   f"when one refuses; no echo of a typed line appeared within "
                   f"{c.timeout:.0f} s (the client "
                   f"{'still runs' if status is None else 'ended with ' + describe_status(status)}"
                   f"; it said {c.stderr_text()!r})")


@pytest.mark.clause("C-SLOW-1")
def test_slow_echo_is_received_in_full(run_client, fake_server, tmp_path):
    c, _, _ = batch(run_client, fake_server, tmp_path, fake.slow_echo, TEXT)
    net.assert_identical(TEXT, bytes(c.stdout), "against a server that pauses before each echo")


@pytest.mark.clause("C-SLOW-1")
def test_echo_sent_well_after_client_eof_is_received(run_client, fake_server, tmp_path):
    c, _, _ = batch(run_client, fake_server, tmp_path, fake.late_echo, TEXT)
    net.assert_identical(TEXT, bytes(c.stdout), "against a server that echoes 1.5 s after "
                                                "the client's end of input")


@pytest.mark.clause("C-SLOW-2")
def test_echo_after_long_silence_is_received(run_client, fake_server, tmp_path, settings):
    # Longer than the timeout: no client may give up on a server sooner than
    # the suite gives up on a program.
    silence = settings.timeout + settings.prompt
    c, _, status = batch(run_client, fake_server, tmp_path, fake.echo_after_silence(silence),
                         TEXT, silence=silence)
    net.assert_identical(TEXT, bytes(c.stdout), f"against a server silent for {silence:.0f} s "
                                                f"after the client's end of input, then echoing")
    assert status == 0, f"the client exited with status {status} after a complete echo: {c.stderr_text()!r}"


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


# Whether the client is still inside a write when the reset comes is up to
# the scheduler (about 1 time in 6 its write finishes first and it reads the
# close instead): tried this many times, a client killed by SIGPIPE is
# caught for certain.  One more try closes without the reset, so that a
# client that takes the end of file as success is caught for certain too.
UPLOAD_RESETS = 4


@pytest.mark.clause("C-PREM-3")
def test_server_closing_during_upload_is_reported(run_client, fake_server, large_input,
                                                  settings):
    path, _ = large_input
    tries = [True] * UPLOAD_RESETS + [False]
    for number, then_reset in enumerate(tries, 1):
        srv = fake_server(fake.close_during_upload(0.2 * settings.scale, then_reset))
        how = "closes, then resets," if then_reset else "closes (and reads on)"
        with open(path, "rb") as stdin:
            c = run_client(srv.port, stdin)
            status = c.wait_exit()
        assert status is not None, (f"the client still runs {c.timeout:.0f} s after the "
                                    f"server {how} during its upload (try {number})")
        assert_reported(c, status, f"{how} while the client is still sending its input (try "
                                   f"{number} of {len(tries)}; a client killed by SIGPIPE "
                                   f"says nothing)")


@pytest.mark.clause("C-RST-3")
def test_reset_after_end_of_input_is_reported(run_client, fake_server, tmp_path):
    c, _, status = batch(run_client, fake_server, tmp_path, fake.echo_half_then_reset, TEXT)
    assert_reported(c, status, f"resets the connection after the client's end of input, "
                               f"with half of the echo sent ({len(c.stdout)} of {len(TEXT)} "
                               f"bytes reached standard output)")


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
