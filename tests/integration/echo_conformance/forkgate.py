"""The fork gate: a server whose process and thread creation the suite can
refuse at will, as a machine out of processes does (S-EXH-2).

The server is started under a seccomp filter that hands every fork(),
vfork() and clone() of its tree to the suite (a user notification; Linux
5.5 or later).  While the gate is open the suite lets each call go on as if
nothing had looked at it; once it is closed, each fails with EAGAIN, the
error fork() and pthread_create() give when RLIMIT_NPROC or a cgroup's pid
limit is reached.  Unlike those limits it works the same for root, for
any user and in a grader's sandbox, and it can be opened again.  clone3()
reports itself missing, so that the C library falls back to clone(), whose
call the filter sees.  A filter cannot be removed: the server keeps it
until it ends, and the suite answers its calls until then."""

import ctypes
import errno
import fcntl
import os
import select
import socket
import struct
import threading

from .bpf import RET_ALLOW, RET_ERRNO, RET_USER_NOTIF, numbers, on_call, prologue, ret

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
# struct seccomp_notif: __u64 id; __u32 pid; __u32 flags; struct seccomp_data
# (64 bytes); struct seccomp_notif_resp: __u64 id; __s64 val; __s32 error;
# __u32 flags.  The ioctls are _IOWR('!', 0 and 1, each struct).
NOTIF_SIZE = 80
RESP = struct.Struct("=QqiI")
NOTIF_RECV = 0xC0000000 | NOTIF_SIZE << 16 | ord("!") << 8 | 0
NOTIF_SEND = 0xC0000000 | RESP.size << 16 | ord("!") << 8 | 1
CREATING = ("clone", "fork", "vfork")
POLL_INTERVAL_MS = 100      # how soon the answering thread sees close()

_libc = ctypes.CDLL(None, use_errno=True)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def program(machine=None):
    """The filter as bytes, or None where the call numbers are not known."""
    arch, calls = numbers(machine)
    if arch is None:
        return None
    code = prologue(arch)
    code += on_call(calls["clone3"], RET_ERRNO | errno.ENOSYS)
    for name in CREATING:
        if name in calls:
            code += on_call(calls[name], RET_USER_NOTIF)
    code.append(ret(RET_ALLOW))
    return b"".join(code)


class ForkGate:
    def __init__(self):
        self.open = True
        self.refused = 0        # calls failed with EAGAIN since the gate closed
        self.calls = 0          # calls answered, either way
        self.unavailable = ""   # why there is no gate, in words
        self._code = program()
        self._ours, self._theirs = socket.socketpair()
        self._listener = None
        self._stopping = False
        self._thread = None

    def install(self):
        """In the server's process, between fork and exec: load the filter
        and hand its listener to the suite, or tell it why there is none."""
        loaded = self._load()
        if isinstance(loaded, str):
            self._theirs.sendall(loaded.encode()[:200])
        else:
            socket.send_fds(self._theirs, [b"ok"], [loaded])
            os.close(loaded)

    def _load(self):
        """The filter's listener descriptor, or why there is none in words."""
        if self._code is None:
            return "no system call numbers for this machine"
        prog = _SockFprog(len(self._code) // 8, self._code)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}"
        fd = _libc.syscall(numbers()[1]["seccomp"], SECCOMP_SET_MODE_FILTER,
                           SECCOMP_FILTER_FLAG_NEW_LISTENER, ctypes.byref(prog))
        if fd < 0:
            return f"seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): {os.strerror(ctypes.get_errno())}"
        return fd

    def attach(self):
        """In the suite, once the server is started: take the listener and
        answer its calls from a thread of our own."""
        self._theirs.close()
        self._ours.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(self._ours, 256, 1)
        self._ours.close()
        if msg != b"ok" or not fds:
            self.unavailable = ("the kernel refused the filter that makes fork() fail on "
                                f"demand ({msg.decode(errors='replace') or 'no answer'}; it "
                                "needs Linux 5.5 or later with seccomp)")
            return
        self._listener = fds[0]
        self._thread = threading.Thread(target=self._answer, name="fork-gate", daemon=True)
        self._thread.start()

    def _answer(self):
        poller = select.poll()
        poller.register(self._listener, select.POLLIN)
        while not self._stopping:
            for _, events in poller.poll(POLL_INTERVAL_MS):
                if events & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    return          # every process under the filter has ended
                notif = bytearray(NOTIF_SIZE)
                try:
                    fcntl.ioctl(self._listener, NOTIF_RECV, notif)
                except OSError:
                    continue        # the caller ended before we looked (ENOENT)
                call_id = struct.unpack_from("=Q", notif)[0]
                self.calls += 1
                if self.open:
                    resp = RESP.pack(call_id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
                else:
                    self.refused += 1
                    resp = RESP.pack(call_id, 0, -errno.EAGAIN, 0)
                try:
                    fcntl.ioctl(self._listener, NOTIF_SEND, bytearray(resp))
                except OSError:
                    pass            # the caller ended meanwhile (ENOENT)

    def close(self):
        """Stop answering; a call made afterwards fails with ENOSYS."""
        self._stopping = True
        if self._thread is not None:
            self._thread.join()
        if self._listener is not None:
            os.close(self._listener)
            self._listener = None
        for sock in (self._ours, self._theirs):
            sock.close()
