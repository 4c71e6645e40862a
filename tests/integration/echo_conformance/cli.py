"""echo-conformance: the conformance suite as a command, from any folder,
against any program.

    echo-conformance --server 'PROG {port}' [--client 'PROG {host} {port}']
                     [--only CLAUSE...] [--strict] [--quick] [--json FILE] [--junit FILE]
    echo-conformance --list
    echo-conformance grade SUBMISSIONS_DIR --out RESULTS_DIR [--config FILE] [--jobs N]

The exit status is pytest's: 0 when every MUST clause (and with --strict
every SHOULD clause) is met, 1 when one is not, 2 when interrupted, 4 on a
usage error."""

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent


def parse(argv):
    p = argparse.ArgumentParser(
        prog="echo-conformance",
        description="Check a TCP echo server or client against the clauses of SPEC.md.",
        epilog="Arguments after -- go to pytest as they are (-x, -v, -k ...).  Every "
               "option can be given by an ECHO_CONFORMANCE_* variable too; see "
               "echo-conformance(1).")
    p.add_argument("--server", metavar="CMD",
                   help="server command line, {port} substituted; run without a shell")
    p.add_argument("--client", metavar="CMD",
                   help="client command line, {host} and {port} substituted")
    p.add_argument("--list", action="store_true",
                   help="print the clauses with their tests, and run nothing")
    p.add_argument("--only", nargs="+", metavar="CLAUSE",
                   help="judge only these clauses (S-ECHO-1 ...)")
    p.add_argument("--strict", action="store_true",
                   help="a SHOULD clause not met fails the run too")
    p.add_argument("--quick", action="store_true",
                   help="leave out the clauses that take long silences (S-TIME-*): "
                        "quicker, but never judged conforming")
    p.add_argument("--json", metavar="FILE", help="write every clause's verdict to FILE")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    p.add_argument("--timeout-scale", type=float, metavar="F",
                   help="multiply every timeout (a slow machine, a slow program)")
    p.add_argument("-j", "--jobs", metavar="N",
                   help="tests run at once (default: one per core with pytest-xdist, "
                        "else 1)")
    p.add_argument("pytest_args", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not (args.server or args.client or args.list
            or any(os.environ.get(f"ECHO_CONFORMANCE_{side}_CMD") for side in ("SERVER", "CLIENT"))):
        p.error("nothing to check: give --server CMD, --client CMD or both, or --list")
    return args


def pytest_argv(args, terminal):
    """The pytest command line the options stand for.  Only the suite's
    own configuration counts: -c names an empty one, the package is the
    root and no conftest.py above it is read, so nothing of the folder it
    runs in (or of the source tree it comes from) takes part.  The plugin
    comes in by its package's name, as its entry point names it, which
    works installed or not (and in xdist's workers, which start from the
    same command line)."""
    argv = [str(PACKAGE / "tests"), "-c", "/dev/null", "--rootdir", str(PACKAGE),
            "--confcutdir", str(PACKAGE), "-p", "no:cacheprovider", "-p", __package__,
            # This module's package is imported already: pytest cannot
            # rewrite its asserts, and need not, since none are in it.
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if args.server:
        argv += ["--server-cmd", args.server]
    if args.client:
        argv += ["--client-cmd", args.client]
    if args.list:
        argv.append("--list-clauses")
    if args.only:
        argv += ["--only-clauses", ",".join(args.only)]
    if args.strict:
        argv.append("--strict-should")
    if args.quick:
        argv.append("--quick")
    if args.json:
        argv += ["--conformance-json", args.json]
    if args.junit:
        argv += ["--junitxml", args.junit]
    if args.timeout_scale is not None:
        argv += ["--timeout-scale", str(args.timeout_scale)]
    jobs = args.jobs or ("auto" if importlib.util.find_spec("xdist") else "1")
    if jobs != "1":
        argv += ["-n", jobs, "--dist", "loadgroup"]
    if terminal:
        argv += ["-q", "--clause-progress"]
    return argv + args.pytest_args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["grade"]:       # a whole class: echo_conformance/grade, docs/grading.md
        from .grade.__main__ import main as grade
        return grade(argv[1:])
    args = parse(argv)
    return int(pytest.main(pytest_argv(args, sys.stdout.isatty())))


if __name__ == "__main__":
    sys.exit(main())
