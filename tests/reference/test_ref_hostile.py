"""Hostile and vanishing clients: a connection reset at once, thousands of
times; half-open connections; 1-byte dribbles; a peer that writes 100 MiB
without reading (its child blocks, no one else does); client processes
SIGKILLed mid-transfer, in bulk.
"""
import os
import socket
import struct
import subprocess

import pytest

import refkit
from echo_conformance import procfs, procs

LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


@pytest.mark.slow
def test_thousands_of_reset_connections_leave_no_trace(start_server):
    """2,000 connections, each reset by its client right after connecting:
    afterwards the server still serves, has no child and no zombie left,
    and holds exactly the descriptors it held before."""
    # SPEC S-RES-1, S-REAP-4, S-FD-1.
    server = start_server()
    baseline = procfs.fd_count(server.pid)
    for _ in range(2000):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        sock.settimeout(refkit.scaled(10))
        sock.connect(server.address())
        sock.close()
    assert server.wait_children(lambda kids: not kids, seconds=30) == []
    assert refkit.echo_once(server) == b"ping\n"
    # The echo can come back from the child before the parent has closed
    # its copy of that connection: the count is awaited, not read once.
    procs.wait_until(lambda: procfs.fd_count(server.pid) == baseline, refkit.scaled(5))
    assert procfs.fd_count(server.pid) == baseline


def test_half_closed_client_gets_its_echo_then_eof(start_server):
    """A client that sends 256 KiB, shuts down its sending side and only
    then reads gets every byte back, followed by EOF (not a reset)."""
    # SPEC S-ECHO-5.
    server = start_server()
    data = os.urandom(256 << 10)
    with server.connect() as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        assert refkit.recv_all(sock) == data


def test_one_byte_dribble_is_echoed_byte_by_byte(start_server):
    """Each single byte comes back before the next is sent."""
    # SPEC S-ECHO-3.
    server = start_server()
    with server.connect() as sock:
        for byte in range(0, 256, 5):
            sock.sendall(bytes([byte]))
            assert sock.recv(1) == bytes([byte])


def test_peer_writing_without_reading_blocks_only_its_own_child(start_server):
    """A client that writes (up to 100 MiB) and never reads gets stuck with
    its child blocked writing the echo back; meanwhile another client on a
    new connection is served normally."""
    # SPEC S-CONC-3.
    server = start_server()
    with server.connect() as hog:
        sent = refkit.fill_until_blocked(hog)
        assert sent < 100 << 20, "the server took 100 MiB without echoing it"
        [stuck] = server.children()
        assert refkit.state(stuck) == "S", "the hog's child should sleep in write()"
        assert refkit.echo_once(server, b"next\n") == b"next\n"
        assert stuck in server.children()
    assert server.wait_children(lambda kids: not kids) == []


def test_clients_killed_mid_transfer_leave_no_zombies(start_server):
    """30 echo-client processes stream data and are SIGKILLed mid-transfer
    all at once: every child of the server ends and is reaped, and the
    server still serves."""
    # SPEC S-REAP-3, S-RES-3.
    server = start_server()
    with open("/dev/zero", "rb") as zero:
        clients = [subprocess.Popen([refkit.CLIENT, "127.0.0.1", str(server.port)],
                                    stdin=zero, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
                   for _ in range(30)]
    try:
        kids = server.wait_children(lambda kids: len(kids) == 30)
        assert len(kids) == 30
        # Mid-transfer: every child has echoed something already.
        assert refkit.wait_for(lambda: all(echoed(kid) for kid in kids), 10)
    finally:
        for client in clients:
            client.kill()
            client.wait()
    assert server.wait_children(lambda kids: not kids) == []
    assert refkit.echo_once(server) == b"ping\n"


def echoed(pid):
    """Bytes pid has written so far (its wchar counter in /proc)."""
    try:
        with open(f"/proc/{pid}/io") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))
    except (FileNotFoundError, ProcessLookupError):
        return 0
