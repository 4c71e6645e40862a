#!/usr/bin/python3
"""`make mutants`: prove the conformance suite by running it against
implementations whose verdict is known (tests/mutants/expect.tsv).

Every row runs the whole suite for its side, as `make conformance` does.
A mutant must be rejected (the suite exits non-zero) for exactly the right
reason: the clauses whose verdict is not "passed" (failed, not judged,
warned) are exactly those its row names, and the smoke clause, which says
whether it echoes at all, passes.  Anything else is a wrong diagnosis.  A
correct implementation must pass the whole suite for its side, apart from
clauses its row lists as documented findings.  After every run, no process
of it may be left running (verdict.py finds them by an environment marker,
and kills them).

The time clauses (S-TIME-*) wait out a long silence: a row runs them only
when it asks, by naming one among its clauses or by the word +time among
its options; every other row runs with --quick, so that they do not
lengthen every run of the table.

Prints a table, one row per implementation; exits 1 when any row is wrong.
With --repeat K (`make mutants-stability`), every row is judged K times,
and the rows whose verdict was not the same every time are listed at the
end: a grader that reruns a submission must get the same verdict.
"""

import argparse
import fnmatch
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import verdict
from echo_conformance import report
from echo_conformance.report import PASSED

HERE = Path(__file__).resolve().parent
SMOKE = {"server": "S-ECHO-1", "client": "C-INT-1"}
WITH_TIME = "+time"     # in the options column: run the time clauses


@dataclass
class Row:
    name: str
    side: str
    expect: str         # "reject" or "pass"
    clauses: list       # must fail (reject), or may fail (pass)
    options: list
    argv: list


def check_header(name, expect, clauses, path, number):
    """A mutant's header comment names the clauses its row expects to fail,
    so that the two never drift apart."""
    for source in (HERE / f"{name}.c", HERE.parents[1] / "demo" / f"{name}.c"):
        if expect == "reject" and source.exists():
            header = source.read_text().split("*/", 1)[0]
            missing = [c for c in clauses.split(",") if c not in header]
            if missing:
                sys.exit(f"{path}:{number}: {source.name}'s header does not name "
                         f"{', '.join(missing)}")


def load(path, build):
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 6 or fields[1] not in SMOKE or fields[2] not in ("reject", "pass"):
            sys.exit(f"{path}:{number}: want 6 tab-separated fields: name side "
                     f"reject|pass clauses options command")
        name, side, expect, clauses, options, command = fields
        unknown = [c for c in clauses.split(",") if c != "-" and c not in verdict.CLAUSES]
        if unknown:
            sys.exit(f"{path}:{number}: no such clause in SPEC.md: {', '.join(unknown)}")
        check_header(name, expect, clauses, path, number)
        clauses = [] if clauses == "-" else clauses.split(",")
        options = [] if options == "-" else options.split()
        if WITH_TIME in options:
            options.remove(WITH_TIME)
        elif not any(report.is_long(c) for c in clauses):
            options.append("--quick")
        rows.append(Row(name, side, expect, clauses, options,
                        command.replace("{build}", str(build)).split()))
    return rows


def reasons(result, clauses):
    """Each clause with its verdict and the suite's reason, one per line."""
    return "\n".join(f"      {c} {result['clauses'].get(c, 'not run')}: "
                     f"{result['reasons'].get(c, '(no reason given)')[:300]}" for c in clauses)


def judge(row, result):
    """(ok, what happened, why: lines that explain a wrong row) for one row."""
    if result["status"] is None or result["left"]:
        what = []
        if result["status"] is None:
            what.append("the suite ran over its time limit: its duration budgets failed")
        if result["left"]:
            what.append(f"left {len(result['left'])} processes running after the suite")
        return False, "; ".join(what), "      " + ", ".join(result["left"][:10])
    if row.expect == "reject":
        got = verdict.not_passed(result)
        missing = [c for c in row.clauses if c not in got]
        smoke = SMOKE[row.side]
        extra = [c for c in got if c not in row.clauses and c != smoke]
        # The smoke clause must pass (not merely not fail: "not run" is no pass).
        if result["clauses"].get(smoke) != PASSED and smoke not in row.clauses:
            extra.insert(0, smoke)
        if result["status"] == 0 and not missing and not extra:
            return False, "NOT REJECTED: " + ", ".join(got) + " only warned", ""
        if missing or extra:
            what = "; ".join(filter(None, [
                smoke in extra and f"the smoke clause {smoke} did not pass",
                missing and f"{', '.join(missing)} passed",
                [c for c in extra if c != smoke] and
                f"{', '.join(c for c in extra if c != smoke)} did not pass as well"]))
            if result["status"] == 0:
                what = "NOT REJECTED: " + what
            return False, f"wrong diagnosis: {what}", reasons(result, missing + extra)
        return True, "rejected: exactly " + ", ".join(got), ""
    bad = verdict.failed(result)
    unexpected = [c for c in bad if c not in row.clauses]
    if unexpected:
        return False, f"FAILED {', '.join(unexpected)}", reasons(result, unexpected)
    if result["status"] != 0 and not bad:
        return False, "the suite failed without a clause verdict: " + \
            " | ".join(result["tail"][-1:]), ""
    notes = [f"{len(result['clauses'])} clauses"]
    if verdict.warned(result):
        notes.append("warned: " + ", ".join(verdict.warned(result)))
    if bad:
        return True, f"fails only its documented findings {', '.join(bad)} (" + \
            "; ".join(notes) + ")", ""
    return True, "passed (" + "; ".join(notes) + ")", ""


def check(row, scale, suite_jobs, build):
    program = row.argv[0]
    if shutil.which(program) is None:
        if Path(program).is_relative_to(build):
            return row, False, f"{program} is not built (make mutant-bins)", "", 0.0
        return row, None, f"skipped: {program} is not installed", "", 0.0
    start = time.monotonic()
    result = verdict.run(row.side, row.argv,
                         extra=[*suite_jobs, "--timeout-scale", str(scale), *row.options])
    ok, what, why = judge(row, result)
    return row, ok, what, why, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--jobs", type=int, default=1, help="suite runs at once")
    parser.add_argument("--suite-jobs", default="-n 2 --dist loadgroup",
                        help="pytest-xdist options of each suite run ('' for none)")
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    parser.add_argument("--table", default=str(HERE / "expect.tsv"))
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="judge every row K times and list the rows whose verdict changed")
    parser.add_argument("only", nargs="*", help="rows whose name matches one of these "
                        "shell patterns (stage*, socat-*)")
    args = parser.parse_args()

    build = Path(args.build).resolve()
    rows = [r for r in load(Path(args.table), build)
            if not args.only or any(fnmatch.fnmatch(r.name, p) for p in args.only)]
    if not rows:
        sys.exit("no row matches " + " ".join(args.only))
    if args.repeat < 1:
        sys.exit(f"--repeat wants a count of 1 or more, not {args.repeat}")
    start = time.monotonic()
    wrong = 0
    seen = {}       # row name: the distinct verdicts, in the order first seen
    width = max(len(r.name) for r in rows) + (len(f" #{args.repeat}") if args.repeat > 1 else 0)
    print(f"{'implementation':<{width}}  side        {'time':>6}  result", flush=True)
    runs = [(r, k) for r in rows for k in range(1, args.repeat + 1)]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for (row, ok, what, why, took), (_, k) in zip(pool.map(
                lambda run: check(run[0], args.timeout_scale, args.suite_jobs.split(), build),
                runs), runs):
            mark = "ok  " if ok else ("--  " if ok is None else "BAD ")
            wrong += ok is False
            verdicts = seen.setdefault(row.name, [])
            if (ok, what) not in verdicts:
                verdicts.append((ok, what))
            expect = row.expect + (" " if row.expect == "reject" else " despite findings ") + \
                ",".join(row.clauses) if row.clauses else row.expect
            name = f"{row.name} #{k}" if args.repeat > 1 else row.name
            print(f"{name:<{width}}  {row.side:<6}  {mark}{took:5.0f}s  {what}"
                  f"   [expected: {expect}]" + (f"\n{why}" if why else ""), flush=True)
    print(f"\n{len(rows)} implementations, {wrong} wrong, "
          f"{time.monotonic() - start:.0f} s in all")
    if args.repeat > 1:
        unstable = {name: v for name, v in seen.items() if len(v) > 1}
        print(f"{len(unstable)} of {len(rows)} implementations changed verdict over "
              f"{args.repeat} runs" + (":" if unstable else ""))
        for name, verdicts in unstable.items():
            for ok, what in verdicts:
                print(f"  {name}: {'ok ' if ok else 'BAD'} {what}")
        wrong += len(unstable)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
