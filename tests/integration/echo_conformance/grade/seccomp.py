"""The seccomp filter every process of a sandbox runs under, as the
classic-BPF program bubblewrap loads with --seccomp FD.

It refuses what reaches kernel state that outlives the sandbox or lies
beyond it: the keyrings (a key added by one submission was read by the next
one graded with the same uid), new user namespaces (the way back to the
capabilities the sandbox drops), bpf, perf events and io_uring (whose
requests run outside the filter).  Everything else is allowed: the filter
is a deny list on top of the namespaces, not the whole containment.

Built by bpf.py, so that the grader needs no package beyond bubblewrap.
"""

import errno
import os

from ..bpf import (ARG0, JEQ_K, JSET_K, LD_W_ABS, RET_ALLOW, RET_ERRNO, insn, numbers,
                   on_call, prologue, ret)

CLONE_NEWUSER = 0x10000000
REFUSED = ("add_key", "request_key", "keyctl", "perf_event_open", "bpf",
           "io_uring_setup", "io_uring_enter", "io_uring_register")
# Their flags are an argument the filter can read: only a new user namespace
# is refused.  clone3 passes its flags in memory the filter cannot read, so it
# reports itself missing and the C library falls back to clone.
FLAGGED = ("unshare", "clone")


def program(machine=None):
    """The filter for this machine (or the one named) as bytes, or None where
    its system call numbers are not known here."""
    arch, calls = numbers(machine)
    if arch is None:
        return None
    eperm = RET_ERRNO | errno.EPERM
    code = prologue(arch)
    for name in REFUSED:
        code += on_call(calls[name], eperm)
    code += on_call(calls["clone3"], RET_ERRNO | errno.ENOSYS)
    for name in FLAGGED:
        # nr == name ? (arg0 & CLONE_NEWUSER ? EPERM : allow) : next
        code += [insn(JEQ_K, calls[name], jf=4),
                 insn(LD_W_ABS, ARG0),
                 insn(JSET_K, CLONE_NEWUSER, jf=1),
                 ret(eperm),
                 ret(RET_ALLOW)]
    code.append(ret(RET_ALLOW))
    return b"".join(code)


def memfd(machine=None):
    """A descriptor holding the program, positioned at its start, for
    bubblewrap's --seccomp; None where there is no program for this machine."""
    code = program(machine)
    if code is None:
        return None
    fd = os.memfd_create("echo-grade-seccomp")
    os.write(fd, code)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
