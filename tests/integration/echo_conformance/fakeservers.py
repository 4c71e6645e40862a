"""The fake servers a client under test is run against (client.py).

They run in threads of the suite, one connection each, so that every
test decides exactly what the "server" does: echo, echo slowly, stop early,
reset.  Activity (a byte moved by the client or the fake server) is counted,
so that waits give up only after a silence."""

import fcntl
import socket
import struct
import termios
import threading
import time

from .net import HOST


class Activity:
    """A counter bumped whenever a byte moves; waits use it as progress."""

    def __init__(self):
        self.count = 0

    def bump(self):
        self.count += 1


class FakeServer:
    """Listens on 127.0.0.1, serves one connection with behaviour(self, conn)."""

    def __init__(self, behaviour, activity, timeout):
        self.behaviour = behaviour
        self.activity = activity
        self.timeout = timeout
        # What moved, kept unless a behaviour that moves tens of MiB says not.
        self.record = True
        self.received = bytearray()
        self.sent = bytearray()
        self.sent_count = 0
        self.proceed = threading.Event()    # set by the test when the server may go on
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(1)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(self.timeout)
                try:
                    self.behaviour(self, conn)
                except OSError:
                    pass    # the client went away: its own side is what the test judges
            return

    def recv(self, conn):
        """The next chunk from the client, b"" at its end of file."""
        chunk = conn.recv(1 << 16)
        if self.record:
            self.received += chunk
        self.activity.bump()
        return chunk

    def recv_line(self, conn):
        while b"\n" not in self.received:
            if not self.recv(conn):
                break
        return bytes(self.received)

    def recv_all(self, conn):
        while self.recv(conn):
            pass
        return bytes(self.received)

    def send(self, conn, data):
        # send() in a loop, not sendall(): the timeout bounds a silence of
        # the client under test, not the length of the whole transfer.
        view = memoryview(data)
        while view:
            n = conn.send(view)
            if self.record:
                self.sent += view[:n]
            self.sent_count += n
            view = view[n:]
            self.activity.bump()

    def stop(self):
        self._stop.set()
        self._thread.join(self.timeout)
        self.listener.close()


# Behaviours of fake servers.

def echo(fake, conn):
    while chunk := fake.recv(conn):
        fake.send(conn, chunk)


def slow_echo(fake, conn):
    """Echo in 1 KiB pieces with a pause before each, as a loaded or distant
    server would."""
    while chunk := fake.recv(conn):
        for i in range(0, len(chunk), 1024):
            time.sleep(0.2)
            fake.send(conn, chunk[i:i + 1024])


def late_echo(fake, conn):
    """Echo everything only after the client's end of file, and a pause."""
    data = fake.recv_all(conn)
    time.sleep(1.5)
    fake.send(conn, data)


def echo_after_silence(seconds):
    """A behaviour: receive everything until the client's end of file, stay
    silent for seconds, then echo it all."""
    def behaviour(fake, conn):
        data = fake.recv_all(conn)
        time.sleep(seconds)
        fake.send(conn, data)
    return behaviour


def reset(conn):
    """Abort the connection: its close sends a reset (RST), not a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def echo_half_then_reset(fake, conn):
    """After the client's end of file, echo half of the input, then reset."""
    data = fake.recv_all(conn)
    fake.send(conn, data[:len(data) // 2])
    reset(conn)


def queued(conn):
    """Bytes received on conn and not yet read (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(conn, termios.FIONREAD, b"\0" * 4))[0]


def wait_until_client_blocks(fake, conn, pause):
    """Read nothing until what waits unread has stopped growing for pause
    seconds: the client's sends then fill every buffer on the way, and a
    client that writes with a blocking write() is inside it."""
    seen = (queued(conn), time.monotonic())
    while time.monotonic() - seen[1] < pause:
        time.sleep(pause / 10)
        if (now := queued(conn)) != seen[0]:
            seen = (now, time.monotonic())
            fake.activity.bump()


def held_back_echo(hold, pause):
    """A behaviour: echo everything, in rounds.  Each round takes hold bytes
    (more than the client's receive buffer can take) without echoing, stops
    reading until the client is blocked sending (wait_until_client_blocks),
    then sends the held bytes back, reading nothing until they are all
    taken.  A client that reads the echo while it waits to send gets it all;
    one blocked in a write (a blocking write() after poll() or select()
    said its input was readable) never reads again, and the round never
    ends: what a server with larger buffers, or a longer path, brings about
    only now and then."""
    def behaviour(fake, conn):
        fake.record = False
        # Small, so that the held echo waits in the client's buffer, not ours.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 16)
        while True:
            held = bytearray()
            while len(held) < hold and (chunk := fake.recv(conn)):
                held += chunk
            if len(held) < hold:
                fake.send(conn, held)
                return
            wait_until_client_blocks(fake, conn, pause)
            fake.send(conn, held)
    return behaviour


def close_during_upload(pause, then_reset):
    """A behaviour: take the first MiB of a large upload, then stop reading
    until the client is blocked sending (what waits unread has stopped
    growing for pause seconds); then close the sending side (FIN).  With
    then_reset, answer at once what the client still sends with a reset, as
    the TCP of a server whose socket is closed does: a client blocked in a
    write then gets EPIPE, and SIGPIPE, unless the FIN let its write finish
    first.  Without, read on and throw away what comes: the client's only
    sign is the end of file."""
    def behaviour(fake, conn):
        fake.record = False
        taken = 0
        while taken < 1 << 20 and (chunk := fake.recv(conn)):
            taken += len(chunk)
        wait_until_client_blocks(fake, conn, pause)
        conn.shutdown(socket.SHUT_WR)
        if then_reset:
            reset(conn)
        else:
            fake.recv_all(conn)
    return behaviour


def echo_first_line_then_close(fake, conn):
    """Echo one line; once the test has seen it printed, close (FIN)."""
    fake.send(conn, fake.recv_line(conn))
    fake.proceed.wait(fake.timeout)
    conn.shutdown(socket.SHUT_RDWR)


def echo_first_line_then_reset(fake, conn):
    """Echo one line; once the test has seen it printed, reset (RST): a reset
    sent at once could destroy the echo before the client reads it."""
    fake.send(conn, fake.recv_line(conn))
    fake.proceed.wait(fake.timeout)
    reset(conn)


def short_echo(fake, conn):
    """Echo half of the input, then end the connection."""
    data = fake.recv_all(conn)
    fake.send(conn, data[:len(data) // 2])


def swapcase_echo(fake, conn):
    """Send back something other than the input: the client must print this, not its input."""
    while chunk := fake.recv(conn):
        fake.send(conn, chunk.swapcase())


def silent(fake, conn):
    fake.recv_all(conn)
