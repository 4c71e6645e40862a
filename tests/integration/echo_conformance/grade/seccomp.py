"""The seccomp filter every process of a sandbox runs under, as the
classic-BPF program bubblewrap loads with --seccomp FD.

It refuses what reaches kernel state that outlives the sandbox or lies
beyond it: the keyrings (a key added by one submission was read by the next
one graded with the same uid), new user namespaces (the way back to the
capabilities the sandbox drops), bpf, perf events and io_uring (whose
requests run outside the filter).  Everything else is allowed: the filter
is a deny list on top of the namespaces, not the whole containment.

Built here rather than with libseccomp so that the grader needs no package
beyond bubblewrap.  System call numbers differ between architectures: the
program first checks that the call comes from the architecture its numbers
are for and kills the process otherwise (a 32-bit call on x86-64 would
otherwise pass under another number), and on x86-64 refuses the x32 ABI.
"""

import errno
import os
import platform
import struct

# Offsets in struct seccomp_data (linux/seccomp.h): int nr; __u32 arch;
# __u64 instruction_pointer; __u64 args[6].  Arguments are read by their low
# 32 bits, which come first on the little-endian machines listed below.
NR, ARCH, ARG0 = 0, 4, 16

# Classic BPF opcodes (linux/bpf_common.h) and seccomp return values.
LD_W_ABS = 0x20
JEQ_K, JGE_K, JSET_K = 0x15, 0x35, 0x45
RET_K = 0x06
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

CLONE_NEWUSER = 0x10000000
X32_SYSCALL_BIT = 0x40000000

# Per machine: the AUDIT_ARCH value (linux/audit.h) and the numbers of the
# calls the filter looks at (arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h, which arm64 uses).
ARCHES = {
    "x86_64": (0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250, "perf_event_open": 298,
        "bpf": 321, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "unshare": 272, "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219, "perf_event_open": 241,
        "bpf": 280, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "unshare": 97, "clone": 220, "clone3": 435}),
}
REFUSED = ("add_key", "request_key", "keyctl", "perf_event_open", "bpf",
           "io_uring_setup", "io_uring_enter", "io_uring_register")
# Their flags are an argument the filter can read: only a new user namespace
# is refused.  clone3 passes its flags in memory the filter cannot read, so it
# reports itself missing and the C library falls back to clone.
FLAGGED = ("unshare", "clone")


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def _ret(value):
    return _insn(RET_K, value)


def program(machine=None):
    """The filter for this machine (or the one named) as bytes, or None where
    its system call numbers are not known here."""
    arch, numbers = ARCHES.get(machine or platform.machine(), (None, None))
    if arch is None:
        return None
    eperm = RET_ERRNO | errno.EPERM
    code = [_insn(LD_W_ABS, ARCH),
            _insn(JEQ_K, arch, jt=1),
            _ret(RET_KILL_PROCESS),
            _insn(LD_W_ABS, NR)]
    if arch == ARCHES["x86_64"][0]:
        code += [_insn(JGE_K, X32_SYSCALL_BIT, jf=1), _ret(eperm)]
    for name in REFUSED:
        code += [_insn(JEQ_K, numbers[name], jf=1), _ret(eperm)]
    code += [_insn(JEQ_K, numbers["clone3"], jf=1), _ret(RET_ERRNO | errno.ENOSYS)]
    for name in FLAGGED:
        # nr == name ? (arg0 & CLONE_NEWUSER ? EPERM : allow) : next
        code += [_insn(JEQ_K, numbers[name], jf=4),
                 _insn(LD_W_ABS, ARG0),
                 _insn(JSET_K, CLONE_NEWUSER, jf=1),
                 _ret(eperm),
                 _ret(RET_ALLOW)]
    code.append(_ret(RET_ALLOW))
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
