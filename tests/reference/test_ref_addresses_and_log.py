"""IPv6, dual stack and the per-connection log line, as echo-server(1)
describes them: -b :: serves IPv4 and IPv6 at once, -p 0 takes a port the
kernel chooses and says which on the readiness line, and -v writes one
line per connection (peer address, bytes, duration, exit status) to
stderr.
"""
import re
import socket
import struct
import time

import pytest

import refkit


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here")


@needs_ipv6
def test_server_bound_to_ipv6_loopback_serves_over_it(start_server):
    """-b ::1 announces [::1]:PORT and echoes over ::1."""
    server = start_server(host="::1")
    assert f"listening on [::1]:{server.port}" in server.log()
    assert refkit.echo_once(server, host="::1") == b"ping\n"


@needs_ipv6
def test_dual_stack_server_serves_ipv4_and_ipv6(start_server):
    """-b :: accepts both 127.0.0.1 and ::1 on its one port."""
    server = start_server(host="::")
    assert refkit.echo_once(server, b"four\n", host="127.0.0.1") == b"four\n"
    assert refkit.echo_once(server, b"six\n", host="::1") == b"six\n"


def log_lines(server, count):
    """Waits for count per-connection lines (all but the readiness line)."""
    def lines():
        found = [line for line in server.log().splitlines() if "listening on" not in line]
        return found if len(found) >= count else None
    return refkit.wait_for(lines, 10) or []


def test_verbose_logs_one_line_per_connection(start_server):
    """-v: each connection ends with exactly one line naming the peer
    address and port, the bytes echoed, the duration and exit 0."""
    server = start_server("-v")
    ports = {}
    for size in (1, 1000, 70000):
        with server.connect() as sock:
            ports[sock.getsockname()[1]] = size
            sock.sendall(b"x" * size)
            sock.shutdown(socket.SHUT_WR)
            assert len(refkit.recv_all(sock)) == size
    lines = log_lines(server, 3)
    assert len(lines) == 3, server.log()
    pattern = re.compile(r"echo-server: 127\.0\.0\.1:(\d+): (\d+) bytes in \d+\.\d+ s, exit 0")
    logged = {}
    for line in lines:
        match = pattern.fullmatch(line)
        assert match, line
        logged[int(match.group(1))] = int(match.group(2))
    assert logged == ports


def test_verbose_duration_covers_the_connection(start_server):
    """The logged duration is at least as long as the client stayed."""
    server = start_server("-v")
    with server.connect() as sock:
        sock.sendall(b"a")
        assert sock.recv(1) == b"a"
        time.sleep(0.5)
    [line] = log_lines(server, 1)
    assert float(re.search(r"in (\d+\.\d+) s", line).group(1)) >= 0.45


def test_verbose_logs_a_reset_with_its_reason(start_server):
    """A connection the client resets is logged with exit 1 and the reason."""
    server = start_server("-v")
    sock = server.connect()
    sock.sendall(b"abc")
    assert sock.recv(3) == b"abc"
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    [line] = log_lines(server, 1)
    assert re.fullmatch(r"echo-server: 127\.0\.0\.1:\d+: 3 bytes in \d+\.\d+ s, exit 1: "
                        r"Connection reset by peer", line)


def test_verbose_names_an_idle_timeout(start_server):
    """A connection closed by -t is logged as an idle timeout."""
    server = start_server("-v", "-t", "1")
    with server.connect(timeout=6) as sock:
        assert sock.recv(1) == b""
    [line] = log_lines(server, 1)
    assert re.fullmatch(r"echo-server: 127\.0\.0\.1:\d+: 0 bytes in \d+\.\d+ s, "
                        r"idle timeout, exit 1", line)


@needs_ipv6
def test_verbose_writes_ipv6_peers_in_brackets(start_server):
    """An IPv6 peer is logged as [::1]:PORT."""
    server = start_server("-v", host="::1")
    with server.connect(host="::1") as sock:
        port = sock.getsockname()[1]
    [line] = log_lines(server, 1)
    assert line.startswith(f"echo-server: [::1]:{port}: 0 bytes in ")
