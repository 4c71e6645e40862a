"""A server under test: started from its command line, watched through /proc,
stopped with its whole tree."""

import errno
import os
import select
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import net, procfs, procs, sockdiag
from .budget import NotJudged
from .forkgate import ForkGate
from .program import Program, StartError


IDLE_WINDOW = 3.0       # seconds an idle server's CPU is watched
IDLE_MAX_SHARE = 0.05   # of one CPU
HOG_LIMIT = 100 << 20   # bytes a client that never reads writes at most
HOG_PAUSE = 0.5         # seconds without room to write that say the connection is full
# Out of descriptors: the server is started with a descriptor limit of
# DESCRIPTOR_LIMIT (soft and hard, so that it cannot raise it again), and
# as many clients connect as it has descriptors left, and WAITING more.
DESCRIPTOR_LIMIT = 32
WAITING = 16

# The streamer runs as a module of this package, found through PYTHONPATH.
STREAMER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))}


class ServerGone(AssertionError):
    """The server was found gone, not ended by the suite: besides the test's
    own clause, this fails S-RES-4 (report.GONE_CLAUSE)."""


class Server(Program):
    def __init__(self, command, port, settings, log_path, nofile=None, gated=False):
        """nofile: the server's descriptor limit (procs.spawn); gated: its
        process creation goes through a forkgate.ForkGate, self.gate."""
        super().__init__(settings.wrap(shlex.split(command.replace("{port}", str(port))), "server"),
                         log_path)
        self.command = command
        self.port = port
        self.nofile = nofile
        self.gate = ForkGate() if gated else None
        self.settings = settings
        self.timeout = settings.timeout
        self.sockets = []
        self.listen_inodes = set()
        self.stopping = False   # set once the suite itself ends the server

    def start(self):
        try:
            self.spawn(nofile=self.nofile, before_exec=self.gate and self.gate.install)
        except RuntimeError as e:
            raise StartError(f"{e} (from --server-cmd {self.command!r})") from None
        if self.gate:
            self.gate.attach()      # before the server's first fork can wait for it
        self.listen_inodes = self._wait_listening()
        self.tree()
        return self

    def _wait_listening(self):
        """Inodes of the server's listening sockets, once it listens.  Read
        from /proc, so that no probe connection disturbs what tests count."""
        def mine():
            held = self.tree_socket_inodes()
            return [s for s in procfs.listeners(self.port) if s.inode in held]
        found = self.wait_ready(mine, self.settings.start_timeout)
        if found:
            v6only = {s.inode for s in sockdiag.listeners() if s.v6only}
            if not any(procfs.reachable_from_loopback(s) and s.inode not in v6only
                       for s in found):
                if any(s.inode in v6only for s in found):
                    raise StartError(f"the server listens on port {self.port} of :: with "
                                     f"IPV6_V6ONLY set, which IPv4 clients (127.0.0.1) cannot "
                                     f"reach: clear IPV6_V6ONLY, or bind 0.0.0.0 or 127.0.0.1")
                raise StartError(f"the server listens on port {self.port}, but not on an "
                                 f"address 127.0.0.1 reaches (bind 127.0.0.1, 0.0.0.0 or ::)")
            return {s.inode for s in found}
        if not self.alive():
            if self.popen.returncode == 0 and procs.orphans_of(self.pid):
                raise StartError(f"the server exited with {self.status()} at start-up and "
                                 f"left a process of its own to serve: it must run in the "
                                 f"foreground (S-END-3). Its output:\n{self.output()}")
            raise StartError(f"the server exited with {self.status()} before listening on "
                             f"port {self.port}. Its output:\n{self.output()}")
        raise StartError(f"the server did not listen on port {self.port} within "
                         f"{self.settings.start_timeout:.0f} s; check that it takes the "
                         f"port from its command line. Its output:\n{self.output()}")

    # What /proc says about the server and its tree.

    def gone(self, after):
        """Why the server is no longer there (its exit status and output),
        in words, or "" while it runs."""
        if self.alive():
            return ""
        return (f"the server is gone: it ended with {self.status()} "
                f"after {after}. Its output:\n{self.output()}")

    def assert_alive(self, after):
        """Fail, saying how the server ended, when it is gone."""
        if why := self.gone(after):
            raise ServerGone(why)

    def assert_serving(self, after, within=None):
        """The server is alive and serves a new client: what every clause
        that watches the tree must establish at its end, since a dead
        server's zombies are reaped by the suite and its tree is empty."""
        self.assert_alive(after)
        with net.connect(self.port, self.timeout) as sock:
            net.echo(sock, b"still serving?\n", f"the echo for a new client after {after}",
                     within=within)

    def zombies(self):
        """Zombies the server's processes leave unreaped.  An adopted orphan
        that ended is the suite's to reap, not the server's."""
        return [p for p in self.tree().values() if p.zombie and p.ppid != os.getpid()]

    def live_tree(self):
        return {pid: p for pid, p in self.tree().items() if not p.zombie}

    def new_processes(self, before):
        """Processes of the tree that were not in the snapshot before: those
        serving the connections made since (none for a single-process server)."""
        return [p for pid, p in self.live_tree().items() if pid not in before]

    def wait_back_to(self, baseline):
        """Wait until the live tree is no bigger than the snapshot baseline;
        False after a silence of the timeout with no process ending."""
        return procs.wait_until(lambda: len(self.live_tree()) <= len(baseline), self.timeout,
                                progress=lambda: len(self.live_tree()))

    def assert_no_zombies(self, served_by):
        """Once the processes that served closed connections have exited, the
        tree must hold no zombie within the timeout, with no new connection."""
        procs.wait_until(lambda: all(procfs.ended(p) for p in served_by), self.timeout,
                         progress=lambda: sum(procfs.ended(p) for p in served_by))
        clean = procs.wait_until(lambda: not self.zombies(), self.timeout,
                                 progress=lambda: len(self.zombies()))
        self.assert_alive("its children ended")
        if clean:
            self.assert_serving("its children ended")
            return
        zombies = self.zombies()
        parents = ", ".join(f"{pid} {procfs.comm(pid)}" for pid in sorted({z.ppid for z in zombies}))
        assert not zombies, (f"{len(zombies)} zombie(s) stayed in the server's tree for "
                             f"{self.timeout:.0f} s while it sat idle: pids "
                             f"{', '.join(str(z.pid) for z in zombies[:10])} exited but "
                             f"their parent ({parents}) never waited for them")

    def signal_and_settle(self, signo, watch_wait):
        """Send signo; let the server wake up and block again.  With
        watch_wait, also wait until it waits for connections again; returns
        False when it does not within the timeout."""
        before = procfs.context_switches(self.pid)
        if not self.signal(signo):
            return False
        # Only a caught signal wakes the server; then wait until it has run
        # its handler and blocked again (bounded: it may already be busy).
        if procfs.catches(self.pid, signo):
            procs.wait_until(lambda: procfs.context_switches(self.pid) != before,
                             self.settings.scale)
        return not watch_wait or self.wait_idle()

    def cpu_seconds(self):
        """CPU seconds used by the server (with the children it reaped) and
        by every live process of its tree."""
        return procfs.cpu_seconds(self.pid, children=True) + sum(
            procfs.cpu_seconds(pid) for pid in self.live_tree())

    def assert_sleeps(self, situation, window=IDLE_WINDOW):
        """Watch the tree for window seconds (unscaled: a busy loop shows at
        once); it must use under IDLE_MAX_SHARE of one CPU.  A process that
        polls without blocking (a non-blocking accept in a loop, a poll with
        a zero timeout, or on an event it never handles) uses a whole CPU
        instead."""
        self.assert_alive(f"{situation}, before its CPU was watched")
        before = self.cpu_seconds()
        time.sleep(window)
        self.assert_alive(situation)
        used = self.cpu_seconds() - before
        assert used <= IDLE_MAX_SHARE * window, (
            f"the server's processes used {used:.2f} s of CPU in {window:.0f} s while "
            f"{situation} ({100 * used / window:.0f}% of a CPU; at most "
            f"{100 * IDLE_MAX_SHARE:.0f}%): a server with nothing it can do blocks until "
            f"there is work (accept, poll with a timeout, only on the events it will "
            f"handle), it does not spin")

    def tree_socket_inodes(self):
        inodes = procfs.socket_inodes(self.pid)
        for pid in self.tree():
            inodes |= procfs.socket_inodes(pid)
        return inodes

    def wait_idle(self):
        """Wait until the server waits for connections (seen in /proc); False
        when that is never seen: an unknown way of waiting, or a busy server."""
        procs.wait_until(lambda: not self.alive() or procfs.waiting_syscalls(self.pid),
                         self.timeout)
        return self.alive() and bool(procfs.waiting_syscalls(self.pid))

    # Connections.

    def connect(self, rcvbuf=None):
        s = net.connect(self.port, self.timeout, rcvbuf)
        self.sockets.append(s)
        return s

    def knock(self):
        """A connection attempt left to the kernel: accepted, queued or (a
        full listen queue) retried, whichever the server's state makes it;
        closed with the others (close_all)."""
        sock = socket.socket()
        self.sockets.append(sock)
        sock.setblocking(False)
        status = sock.connect_ex(("127.0.0.1", self.port))
        assert status in (0, errno.EINPROGRESS), f"connecting failed: {os.strerror(status)}"

    def connect_hog(self):
        """A client that writes without reading until the connection is full
        both ways: its echo fills its receive buffer, so the server's side
        can neither write to it nor (a correct server) take more from it.
        Returns the socket and the bytes written."""
        hog = self.connect()
        hog.setblocking(False)
        sent = 0
        while sent < HOG_LIMIT:
            try:
                sent += hog.send(b"\xaa" * 65536)
            except BlockingIOError:
                if not select.select([], [hog], [], HOG_PAUSE)[1]:
                    break
        return hog, sent

    def use_up_descriptors(self):
        """For a server started with few descriptors (the fixture
        server_with_few_descriptors): connect as many clients as its
        processes have descriptors left, and WAITING more.  A server that
        holds a descriptor per client (threads, poll; whichever of its
        processes accepts) runs out, and the rest wait in its listen queue;
        a fork-per-connection parent never does.  Returns the first client,
        echoed (accepted before the limit was reached), once the server has
        taken all it could.  The limit is given at start, never lowered from
        outside (prlimit --pid): that needs the server's own uid or
        CAP_SYS_RESOURCE, which a grader's sandbox lacks."""
        if self.settings.valgrind_dir:
            # valgrind keeps descriptors of its own above the limit it shows
            # the program and opens a log for every forked child there: a
            # low limit breaks valgrind, whatever the server does.
            raise NotJudged("under valgrind the server's descriptor limit cannot be lowered "
                            "(valgrind's own descriptors sit above it); judged without "
                            "--valgrind")
        left = self.nofile - min(procfs.fd_count(pid) for pid in [self.pid, *self.live_tree()])
        first = self.connect()
        net.echo(first, b"first\n", "the echo for the first client, before the server "
                 "ran out of descriptors")
        # Knocks: past its own cap on clients (Python's socketserver forks
        # 40 at most), a server may leave connections queued until the
        # listen queue is full, and the rest wait for room.
        for _ in range(left - 1 + WAITING):
            self.knock()
        procs.wait_until(lambda: self.accept_queue() == 0, self.settings.prompt,
                         progress=self.accept_queue)
        return first

    def connect_many(self, n):
        """n connections, paced so that the server's accept queue never
        overflows: an overflow drops the SYN and costs a second or more of
        retransmission, which would make a correct server look slow."""
        socks = []
        for _ in range(n):
            self.wait_accept_queue()
            socks.append(self.connect())
        return socks

    def _listen_queues(self):
        return [s for s in sockdiag.listeners() if s.inode in self.listen_inodes]

    def accept_queue(self):
        """Connections waiting in the listen queue for the server's accept()."""
        return sum(s.queued for s in self._listen_queues())

    def wait_accept_queue(self):
        """Wait until the listen queue has room for one more connection."""
        def room():
            return all(s.queued < s.backlog for s in self._listen_queues())
        ok = procs.wait_until(room, self.timeout, progress=self.accept_queue, interval=0.001)
        assert ok, (f"the server stopped accepting connections: {self.accept_queue()} have "
                    f"waited in its listen queue for {self.timeout:.0f} s")

    def serve_in_lanes(self, numbers, lanes):
        """Short connections (as net.one_connection) numbered from numbers,
        in lanes side by side, each lane one connection after another, so a
        slow but correct server is not failed for its slowness; each is
        made once the listen queue has room.  Returns how
        many were served and the first failure ("" when none).  Meanwhile the
        orphans the suite adopts (double-fork grandchildren) are reaped, so
        their zombies do not pile up in the suite."""
        numbers = iter(numbers)
        lock = threading.Lock()
        done = {"served": 0, "failure": ""}

        def lane():
            while not done["failure"]:
                try:
                    # One connect at a time, once the listen queue has room:
                    # a queue that overflows loses connections by chance (a
                    # reset after the client has sent), which would make the
                    # verdict vary from run to run; S-END-4 judges the
                    # backlog itself.
                    with lock:
                        i = next(numbers, None)
                        if i is None:
                            return
                        self.wait_accept_queue()
                        sock = net.connect(self.port, self.timeout)
                    with sock:
                        net.echo_then_half_close(sock, f"connection {i}\n".encode(),
                                                 f"the echo on connection {i}")
                except AssertionError as e:
                    done["failure"] = done["failure"] or str(e)
                    return
                with lock:
                    done["served"] += 1
        threads = [threading.Thread(target=lane, daemon=True) for _ in range(lanes)]
        for t in threads:
            t.start()
        while running := [t for t in threads if t.is_alive()]:
            running[0].join(0.2)        # a lane still running, so this waits
            procs.reap_adopted()
        return done["served"], done["failure"]

    def start_streamers(self, n):
        """n client processes streaming to the server, once data flows both
        ways; they are killed with procs.kill_all()."""
        streamers = [procs.spawn([sys.executable, "-m", f"{__package__}.streamer",
                                  str(self.port), str(self.timeout)], env=STREAMER_ENV,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                     for _ in range(n)]
        for s in streamers:
            line = s.stdout.readline()      # bounded by the streamer's socket timeout
            assert line == b"streaming\n", (f"a streaming client could not get data flowing "
                                            f"both ways (it exited with {s.wait(self.timeout)})")
        return streamers

    def close_all(self):
        for s in self.sockets:
            s.close()
        self.sockets.clear()

    # Ending it.

    def terminate(self, wait=None):
        """SIGTERM, as an administrator would; returns the exit status, or
        None when the server still runs after wait seconds (the timeout)."""
        self.stopping = True
        return super().terminate(self.timeout if wait is None else wait)

    def stop(self):
        """End the server and every process it started, whatever state they
        are in.  Nothing is judged here, so the waits are short (the settle
        time)."""
        self.close_all()
        if self.gate:
            # Its way out may create processes or threads (LeakSanitizer's
            # check at exit does): they must not fail for the test's sake.
            self.gate.open = True
        self.end(self.settings.settle, self.timeout)
        if self.gate:
            self.gate.close()
