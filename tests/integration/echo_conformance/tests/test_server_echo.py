"""Echo semantics (RFC 862): what is sent comes back, all of it, as it arrives."""

import os
import signal
import socket
import threading
import time

import pytest

from echo_conformance import net, procfs, procs

pytestmark = pytest.mark.server


@pytest.mark.clause("S-ECHO-1")
def test_short_message_is_echoed(server):
    net.echo(server.connect(), b"hello, echo\n", "the echo of a short message")


@pytest.mark.clause("S-ECHO-1")
def test_successive_messages_are_echoed_in_order(server):
    sock = server.connect()
    for i in range(20):
        net.echo(sock, f"message {i}\n".encode(), f"the echo of message {i}")


@pytest.mark.clause("S-ECHO-2")
def test_all_256_byte_values_are_echoed(server):
    net.echo(server.connect(), bytes(range(256)) * 4, "the echo of every byte value")


@pytest.mark.clause("S-ECHO-3")
def test_chunk_without_newline_is_echoed_at_once(server, settings):
    # Nothing follows the chunk: a server waiting for a newline, or for more
    # data to fill a buffer, answers late or never.
    net.echo(server.connect(), b"no newline at the end", "the echo of a chunk without newline",
             within=settings.prompt)


@pytest.mark.clause("S-ECHO-3")
def test_one_byte_dribble_is_echoed_byte_by_byte(server, settings):
    sock = server.connect()
    for i, byte in enumerate(b"dribble\0\n"):
        net.echo(sock, bytes([byte]), f"the echo of byte {i} sent alone", within=settings.prompt)


# What a stream has past a whole MiB: an odd count, so that its end falls on
# no buffer's edge.  A server that waits after a read that fills its buffer
# then gets a short last read and echoes the end; the edges are S-ECHO-7's
# to judge, and a stream clause judges its own defect only.
OFF_EDGE = 1021


@pytest.mark.clause("S-ECHO-4")
def test_four_mib_stream_is_echoed_intact(server):
    payload = os.urandom((4 << 20) + OFF_EDGE)
    # A client that lags (a small receive window, a late start at reading),
    # as a distant or busy one does: the server's writes then come up short
    # or block, and a server that ignores a short write loses data.
    sock = server.connect(rcvbuf=16 << 10)
    # Read while writing, as a real client does: the server may write back
    # before it has read everything.
    writer_error = []

    def write():
        try:
            net.send(sock, payload, "streaming 4 MiB")
        except AssertionError as e:
            writer_error.append(e)
    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.5)     # the client lags before it starts reading
    try:
        got = net.recv_exactly(sock, len(payload), "the echo of a 4 MiB stream")
    finally:
        writer.join()
    assert not writer_error, str(writer_error[0])
    net.assert_identical(payload, got, "the 4 MiB echo differs")


# Every power of two from 256 B to 64 KiB, and one byte either side: the
# usual sizes of a server's buffer, where a read that fills it exactly can
# be taken for "more is coming".
EDGE_SIZES = [size + d for size in (1 << k for k in range(8, 17)) for d in (-1, 0, 1)]


@pytest.mark.clause("S-ECHO-7")
def test_messages_at_buffer_edges_are_echoed_at_once(server, settings):
    # Request and response, as a protocol on top of echo would use it: the
    # client waits for each answer before it sends the next message.
    sock = server.connect()
    for size in EDGE_SIZES:
        net.echo(sock, os.urandom(size), f"the echo of a message of {size} bytes",
                 within=settings.prompt)


def stop_and_continue(server):
    """SIGSTOP every process of the tree, wait until all are stopped, then
    SIGCONT them, as Ctrl-Z and `fg` do: a system call blocked in any of
    them then returns early, a write with the count it managed so far."""
    pids = [server.pid, *server.live_tree()]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        def stopped():     # or ended meanwhile (a zombie, or gone)
            return all((p := procfs.proc(pid)) is None or p.state in "TtZX" for pid in pids)
        assert procs.wait_until(stopped, server.timeout), (
            f"the server's processes were not all stopped {server.timeout:.0f} s after SIGSTOP")
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


STOPPED_ROUNDS = 5


def round_bytes():
    """More than a server's send buffer can ever hold (the kernel's largest,
    tcp_wmem's last field), so that a server echoing a round to a client
    that does not read is sure to block in a write."""
    largest = net.sysctl("ipv4/tcp_wmem", 2)
    if largest is None:
        largest = 4 << 20   # Linux's default
    return largest + (1 << 20) + OFF_EDGE


@pytest.mark.clause("S-ECHO-8")
def test_stream_survives_stops_and_continues(server, settings):
    # Each round catches the server twice: blocked writing back to a client
    # that has stopped reading (the write returns short: a server that
    # ignores the count loses the rest), and blocked reading with nothing
    # in flight.
    sock = server.connect(rcvbuf=16 << 10)
    size = round_bytes()
    for r in range(STOPPED_ROUNDS):
        chunk = os.urandom(size)
        writer_error = []

        def write():
            try:
                net.send(sock, chunk, f"streaming round {r}")
            except AssertionError as e:
                writer_error.append(e)
        writer = threading.Thread(target=write)
        writer.start()
        try:
            # Not reading: the round fills the buffers on the way back, and
            # the server blocks in a write.
            time.sleep(0.1 * settings.scale)
            stop_and_continue(server)
            got = net.recv_exactly(sock, len(chunk), f"the echo of round {r}, which the "
                                                     f"server was stopped and continued in")
        finally:
            writer.join()
        assert not writer_error, str(writer_error[0])
        net.assert_identical(chunk, got, f"the echo of round {r} differs (the server was "
                                         f"stopped and continued while writing it)")
        stop_and_continue(server)   # now blocked reading, with nothing in flight
    net.echo(sock, b"after the last stop\n", "the echo after the server was stopped and "
                                              "continued while waiting to read")


# Small enough to sit in the socket buffers while the client is not reading.
BATCH = os.urandom(16 << 10) + b"last line without newline"


@pytest.mark.clause("S-ECHO-5")
def test_batch_then_half_close_gets_every_byte(server):
    sock = server.connect()
    net.send(sock, BATCH, "sending the batch")
    sock.shutdown(socket.SHUT_WR)
    got = net.recv_exactly(sock, len(BATCH), "the echo of a batch sent before reading")
    net.assert_identical(BATCH, got, "the batch echo differs")


@pytest.mark.clause("S-ECHO-5")
def test_half_close_is_answered_with_eof_not_reset(server, settings):
    sock = server.connect()
    net.send(sock, BATCH, "sending the batch")
    sock.shutdown(socket.SHUT_WR)
    half_closed = time.monotonic()
    got = net.recv_until_eof(sock, "after the client's half-close")
    took = time.monotonic() - half_closed
    net.assert_identical(BATCH, got, "the connection ended cleanly, but the echo before the "
                                     "end differs")
    assert took <= settings.prompt, (
        f"the end of file came {took:.1f} s after the client's half-close, over the limit of "
        f"{settings.prompt:.1f} s: once the echo is written, the server closes at once")


@pytest.mark.clause("S-ECHO-6")
def test_connection_stays_open_while_client_pauses(server):
    sock = server.connect()
    net.echo(sock, b"before the pause\n", "the first echo")
    time.sleep(1.0)
    net.echo(sock, b"after the pause\n", "the echo after a one-second pause")
