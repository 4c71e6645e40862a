"""The valgrind judge (echo_conformance/valgrind.py) on small made-up logs: the
verdicts of the memory clauses (SPEC.md, "Memory checking") and of
ci/valgrind-logs.py, which reads logs with the same judge."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from echo_conformance import report, spec

ROOT = Path(__file__).resolve().parents[2]
CLAUSES = spec.load()

HEAD = ["Memcheck, a memory error detector", "Command: build/echo-server 0"]
INVALID_WRITE = ["Invalid write of size 1", "   at 0x10A1B2: str_echo (echo.c:170)",
                 " Address 0x4a8b048 is 0 bytes after a block of size 8 alloc'd",
                 "   at 0x48417B4: malloc (vg_replace_malloc.c:381)", ""]
LEAK = ["64 bytes in 1 blocks are definitely lost in loss record 1 of 1",
        "   at 0x48417B4: malloc (vg_replace_malloc.c:381)", "",
        "LEAK SUMMARY:", "   definitely lost: 64 bytes in 1 blocks",
        "   indirectly lost: 0 bytes in 0 blocks", ""]
NO_LEAK = ["LEAK SUMMARY:", "   definitely lost: 0 bytes in 0 blocks",
           "   indirectly lost: 0 bytes in 0 blocks", ""]
OPEN_FD = ["FILE DESCRIPTORS: 5 open (3 std) at exit.",
           "Open AF_INET socket 4: 127.0.0.1:9877 <-> unbound",
           "   at 0x4955011: socket (syscall-template.S:120)", "",
           "Open file descriptor 3: /tmp/logs/server/101.log", "   <inherited from parent>", ""]


def summary(errors):
    return [f"ERROR SUMMARY: {errors} errors from {errors} contexts (suppressed: 0 from 0)"]


def write_log(folder, pid, body, ppid=1):
    """A log as valgrind writes it: every line prefixed with ==PID==."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [HEAD[0], HEAD[1], f"Parent PID: {ppid}", "", *body]
    (folder / f"{pid}.log").write_text("".join(f"=={pid}== {line}\n" for line in lines))


def verdicts(logs, strict=False):
    return report.valgrind_verdicts(CLAUSES, logs, strict)


def test_a_log_cut_short_by_sigkill_still_fails_the_must_with_its_errors(tmp_path):
    write_log(tmp_path / "server", 100, [])
    write_log(tmp_path / "server", 101, INVALID_WRITE, ppid=100)   # no summary: killed
    v = verdicts(tmp_path)["S-MEM-1"]
    assert v.verdict == report.FAILED
    assert "before it was killed" in v.reason and "Invalid write of size 1" in v.reason
    assert "pid 101, forked child of 100" in v.reason


def test_clean_logs_pass_both_server_clauses(tmp_path):
    write_log(tmp_path / "server", 100, [*NO_LEAK, *summary(0)])
    write_log(tmp_path / "server", 101, [*NO_LEAK, *summary(0)], ppid=100)
    v = verdicts(tmp_path)
    assert v["S-MEM-1"].verdict == report.PASSED
    assert v["S-MEM-2"].verdict == report.PASSED


def test_a_leak_alone_is_a_should_warning_not_a_memory_error(tmp_path):
    # --errors-for-leak-kinds makes ERROR SUMMARY count the leak record.
    write_log(tmp_path / "server", 100, [*LEAK, *summary(1)])
    v = verdicts(tmp_path)
    assert v["S-MEM-1"].verdict == report.PASSED
    assert v["S-MEM-2"].verdict == report.WARNED
    assert "64 bytes definitely or indirectly lost" in v["S-MEM-2"].reason


def test_a_leak_fails_under_strict(tmp_path):
    write_log(tmp_path / "server", 100, [*LEAK, *summary(1)])
    assert verdicts(tmp_path, strict=True)["S-MEM-2"].verdict == report.FAILED


def test_errors_from_before_fork_count_once_in_the_parent_not_again_in_the_child(tmp_path):
    # A forked child's summary repeats its parent's errors, which it never reported.
    write_log(tmp_path / "server", 100, [*INVALID_WRITE, *summary(1)])
    write_log(tmp_path / "server", 101, [*NO_LEAK, *summary(1)], ppid=100)
    v = verdicts(tmp_path)["S-MEM-1"]
    assert v.verdict == report.FAILED
    assert v.reason.startswith("1 of 2 processes")


def test_an_error_of_a_kind_not_listed_is_counted_by_its_stack(tmp_path):
    write_log(tmp_path / "server", 100, ["Some new kind of memory error",
                                        "   at 0x10A1B2: main (server.c:12)", "", *summary(1)])
    assert verdicts(tmp_path)["S-MEM-1"].verdict == report.FAILED


def test_a_descriptor_open_at_exit_fails_no_clause(tmp_path):
    # SPEC.md "Memory checking": the kernel closes it; S-FD-1/S-FD-2 judge leaks live.
    write_log(tmp_path / "server", 100, [*OPEN_FD, *NO_LEAK, *summary(0)])
    v = verdicts(tmp_path)
    assert v["S-MEM-1"].verdict == report.PASSED
    assert v["S-MEM-2"].verdict == report.PASSED


def test_the_client_is_judged_from_its_own_logs(tmp_path):
    write_log(tmp_path / "server", 100, [*NO_LEAK, *summary(0)])
    write_log(tmp_path / "client", 200, [*INVALID_WRITE, *LEAK, *summary(2)])
    v = verdicts(tmp_path)
    assert (v["S-MEM-1"].verdict, v["S-MEM-2"].verdict) == (report.PASSED, report.PASSED)
    assert (v["C-MEM-1"].verdict, v["C-MEM-2"].verdict) == (report.FAILED, report.WARNED)


def test_no_log_means_not_run(tmp_path):
    assert verdicts(tmp_path)["C-MEM-1"].verdict == report.NOT_RUN


def ci_judge(logs):
    # The script finds the suite's package as under make: through PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(spec.SPEC_PATH.parent.parent)}
    return subprocess.run([sys.executable, str(ROOT / "ci" / "valgrind-logs.py"), str(logs)],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("killed, fails", [(False, True), (True, False)])
def test_ci_fails_a_descriptor_left_open_by_a_process_that_ended_by_itself(tmp_path, killed, fails):
    end = ["Process terminating with default action of signal 15 (SIGTERM)",
           "   at 0x4955011: accept (accept.c:26)", ""] if killed else []
    write_log(tmp_path / "server", 100, [*NO_LEAK, *summary(0)])
    write_log(tmp_path / "server", 101, [*end, *OPEN_FD, *NO_LEAK, *summary(0)], ppid=100)
    done = ci_judge(tmp_path)
    assert (done.returncode != 0) == fails, done.stdout
    assert ("descriptor(s) left open at exit: 4" in done.stdout) == fails


def test_ci_and_the_suite_count_the_same_errors(tmp_path):
    write_log(tmp_path / "server", 100, [*NO_LEAK, *summary(0)])
    write_log(tmp_path / "server", 101, INVALID_WRITE, ppid=100)
    done = ci_judge(tmp_path)
    assert done.returncode == 1
    assert "1 memory error(s), before it was killed: Invalid write of size 1" in done.stdout
