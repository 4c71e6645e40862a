"""Classic-BPF seccomp programs, built here rather than with libseccomp so
that neither the suite nor the grader needs a package for them: the
grader's sandbox filter (grade/seccomp.py) and the suite's fork gate
(forkgate.py).

System call numbers differ between architectures: every program first
checks that the call comes from the architecture its numbers are for and
kills the process otherwise (a 32-bit call on x86-64 would otherwise pass
under another number), and on x86-64 refuses the x32 ABI."""

import errno
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
RET_USER_NOTIF = 0x7FC00000
RET_ALLOW = 0x7FFF0000

X32_SYSCALL_BIT = 0x40000000

# Per machine: the AUDIT_ARCH value (linux/audit.h) and the numbers of the
# calls the programs look at (arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h, which arm64 uses; arm64 has no fork
# or vfork call, only clone).
ARCHES = {
    "x86_64": (0xC000003E, {
        "add_key": 248, "request_key": 249, "keyctl": 250, "perf_event_open": 298,
        "bpf": 321, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "unshare": 272, "clone": 56, "clone3": 435,
        "fork": 57, "vfork": 58, "seccomp": 317}),
    "aarch64": (0xC00000B7, {
        "add_key": 217, "request_key": 218, "keyctl": 219, "perf_event_open": 241,
        "bpf": 280, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "unshare": 97, "clone": 220, "clone3": 435,
        "seccomp": 277}),
}


def insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def ret(value):
    return insn(RET_K, value)


def numbers(machine=None):
    """(AUDIT_ARCH, {name: number}) for this machine or the one named, or
    (None, None) where they are not known here."""
    return ARCHES.get(machine or platform.machine(), (None, None))


def prologue(arch):
    """The program's start: wrong architecture killed, x32 refused, and the
    call's number loaded for what follows."""
    code = [insn(LD_W_ABS, ARCH),
            insn(JEQ_K, arch, jt=1),
            ret(RET_KILL_PROCESS),
            insn(LD_W_ABS, NR)]
    if arch == ARCHES["x86_64"][0]:
        code += [insn(JGE_K, X32_SYSCALL_BIT, jf=1), ret(RET_ERRNO | errno.EPERM)]
    return code


def on_call(number, result):
    """nr == number ? return result : go on."""
    return [insn(JEQ_K, number, jf=1), ret(result)]
