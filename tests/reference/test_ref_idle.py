"""The idle timeout, -t SECS: a child whose peer has neither sent nor read
for that long closes the connection and exits, so idle or stuck clients
cannot hold slots forever; active ones are untouched.
"""
import socket
import time

import refkit

IDLE = 1    # seconds, the -t under test


def test_idle_timeout_closes_a_silent_client(start_server):
    """A client that connects and sends nothing sees EOF after about -t
    seconds: not before, and not much later."""
    server = start_server("-t", str(IDLE))
    sock = server.connect(timeout=IDLE + 5)
    t0 = time.monotonic()
    assert sock.recv(1) == b""
    assert time.monotonic() - t0 >= IDLE - 0.1, "closed before the timeout"
    sock.close()
    assert server.wait_children(lambda kids: not kids) == []


def test_idle_timeout_closes_a_client_that_never_reads(start_server):
    """A client that sends until its connection is full and never reads
    leaves its child blocked in write(); after -t seconds without progress
    the child gives up and exits, freeing the slot."""
    server = start_server("-t", str(IDLE))
    with server.connect() as sock:
        sent = refkit.fill_until_blocked(sock)
        assert sent < 100 << 20, "the server took 100 MiB without echoing it"
        assert server.children(), "the child ended before the timeout could matter"
        assert server.wait_children(lambda kids: not kids, seconds=IDLE + 5) == []


def test_idle_timeout_spares_an_active_client(start_server):
    """A client sending one byte every 200 ms, reading each echo, keeps its
    connection well past -t seconds."""
    server = start_server("-t", str(IDLE))
    with server.connect() as sock:
        deadline = time.monotonic() + 2.5 * IDLE
        count = 0
        while time.monotonic() < deadline:
            sock.sendall(b"a")
            assert sock.recv(1) == b"a"
            count += 1
            time.sleep(0.2)
        sock.sendall(b"still here")
        assert sock.recv(64) == b"still here"
        assert count >= 5
        assert len(server.children()) == 1


def test_no_idle_timeout_by_default(start_server):
    """Without -t a silent client is not closed (checked over 2 s)."""
    server = start_server()
    with server.connect() as sock:
        sock.settimeout(2)
        try:
            data = sock.recv(1)
        except socket.timeout:
            data = None
        assert data is None, "the server closed a silent connection without -t"
