"""Verdicts by clause, from the test reports and the valgrind logs, rendered
for the terminal, as JSON and as Markdown."""

import json
from dataclasses import dataclass, field

import pytest

from . import valgrind
from .program import clean

PASSED, FAILED, WARNED, NOT_JUDGED, NOT_RUN = (
    "passed", "failed", "warned", "not judged", "not run")
VERDICTS = (PASSED, FAILED, WARNED, NOT_JUDGED, NOT_RUN)
# From worst to best: a clause's verdict is the worst of its tests' outcomes.
_WORST_FIRST = (FAILED, NOT_JUDGED, WARNED, PASSED)
SHOULD_PREFIX = "SHOULD clause"      # starts the xfail reason of a downgraded SHOULD failure
# The clauses that take long silences, which --quick leaves out.
LONG_FAMILY = "S-TIME-"
# The clause a server found gone fails, whichever test found it.
GONE_CLAUSE = "S-RES-4"


def is_long(cid):
    return bool(cid) and cid.startswith(LONG_FAMILY)


@dataclass
class Result:
    clause: str
    name: str
    nodeid: str
    outcome: str
    reason: str = ""


@dataclass
class Verdict:
    clause: object
    verdict: str
    results: list = field(default_factory=list)
    reason: str = ""


def plain_reason(excinfo):
    """The first lines of a failure, without pytest's assertion rewriting."""
    if excinfo is None:
        return ""
    value = excinfo.value
    if isinstance(value, (AssertionError, pytest.fail.Exception)):
        text = str(value).split("\nassert ")[0]
    else:
        text = f"{type(value).__name__}: {value}"
    return " ".join(text.split())[:600]


def one_line(text):
    """A reason as reports show it: whitespace runs made one space, and
    whatever a program wrote made harmless (clean())."""
    return clean(" ".join(text.split()))


class Recorder:
    """Collects test outcomes by clause, in the process that reports
    (the xdist controller, or the only process)."""

    def __init__(self, clauses):
        self.clauses = clauses
        self.results = {}       # nodeid -> Result
        self.extra = {}         # clause id -> Verdict judged outside tests (valgrind)
        self.judge_gone = GONE_CLAUSE in clauses    # False once it is known deselected

    def add(self, report):
        props = dict(report.user_properties)
        clause = props.get("clause")
        if clause is None:
            return
        name = report.nodeid.split("::")[-1]
        if self.judge_gone and (gone := props.get("server_gone")):
            # Whatever the test's own clause, and its level: a dead server
            # fails a MUST (a SHOULD test alone would only warn).
            self.results[f"{report.nodeid}::{GONE_CLAUSE}"] = Result(
                GONE_CLAUSE, name, report.nodeid, FAILED, gone)
        previous = self.results.get(report.nodeid)
        if previous and previous.outcome in (FAILED, WARNED):
            return          # a teardown after a failure adds nothing
        judged = props.get("judged") != "no"
        reason = one_line(props.get("reason", ""))
        if report.when == "setup" and (report.failed or report.skipped):
            reason = f"could not set up: {reason}"
        elif report.when == "teardown" and (report.failed or report.skipped):
            reason = f"after the test: {reason}"
        if report.failed:
            outcome = FAILED if judged else NOT_JUDGED
        elif hasattr(report, "wasxfail") and report.wasxfail.startswith(SHOULD_PREFIX):
            outcome = WARNED if judged else NOT_JUDGED
        elif report.when == "call":
            outcome, reason = PASSED, ""
        else:
            return
        self.results[report.nodeid] = Result(clause, name, report.nodeid, outcome, reason)

    def verdicts(self):
        by_clause = {cid: [] for cid in self.clauses}
        for r in self.results.values():
            by_clause[r.clause].append(r)
        out = []
        for cid, clause in self.clauses.items():
            if cid in self.extra:
                out.append(self.extra[cid])
                continue
            results = by_clause[cid]
            outcomes = {r.outcome for r in results}
            verdict = next((o for o in _WORST_FIRST if o in outcomes), NOT_RUN)
            reason = "; ".join(f"{r.name}: {r.reason}" for r in results
                               if r.outcome != PASSED and r.reason)
            out.append(Verdict(clause, verdict, results, reason))
        return out


def conforming(verdicts, strict, ended=""):
    """ended: why the run did not complete ("" when it did).  A run that
    did not complete is never conforming, whatever it judged before."""
    bad = [v for v in verdicts if v.verdict in (FAILED, NOT_JUDGED)
           and (v.clause.level == "MUST" or strict)]
    return not bad and not ended


# Valgrind logs (judged by echo_conformance/valgrind.py, which ci/ shares).

# Clause -> (side whose logs it judges, what it judges in them).
MEMORY_CLAUSES = {"S-MEM-1": ("server", "errors"), "S-MEM-2": ("server", "leaks"),
                  "C-MEM-1": ("client", "errors"), "C-MEM-2": ("client", "leaks")}
SHOWN_LOGS = 3


def valgrind_verdicts(clauses, directory, strict):
    """The memory clauses' verdicts, by clause id, from the logs under
    directory/server and directory/client."""
    return {cid: memory_verdict(clauses[cid], kind, directory / side, strict)
            for cid, (side, kind) in MEMORY_CLAUSES.items() if cid in clauses}


def memory_verdict(clause, kind, directory, strict):
    """kind "errors": any memory error in any process; "leaks": any block
    definitely or indirectly lost.  A SHOULD clause's failure is a warning
    unless strict, as for a test."""
    logs = valgrind.read_logs(directory)
    if not logs:
        return Verdict(clause, NOT_RUN, reason="no valgrind log was written")
    found = [(log, log.errors_found() if kind == "errors" else log.leaks_found())
             for log in logs]
    bad = [(log, what) for log, what in found if what]
    cut_short = sum(1 for log in logs if log.cut_short)
    if bad:
        verdict = FAILED if clause.level == "MUST" or strict else WARNED
        pids = {log.pid for log in logs}
        shown = "; ".join(f"{log.describe(pids)}: {what}" for log, what in bad[:SHOWN_LOGS])
        return Verdict(clause, verdict, reason=f"{len(bad)} of {len(logs)} processes "
                                               f"reported {kind}: {shown}")
    note = ""
    if cut_short:
        counted = ("their error reports were counted one by one" if kind == "errors"
                   else "their leaks could not be counted")
        note = f"; {cut_short} were killed before valgrind could summarise ({counted})"
    return Verdict(clause, PASSED, reason=f"{len(logs)} process logs clean in {directory}{note}")


# Rendering.

_MARK = {PASSED: "PASS", FAILED: "FAIL", WARNED: "WARN", NOT_JUDGED: "N/J ", NOT_RUN: "----"}


def progress_line(v):
    return f"{_MARK[v.verdict]}  {v.clause.id:<12} {v.clause.level:<6}  {v.clause.title}"


def terminal_lines(verdicts, strict, ended="", quick=False):
    lines = []
    for v in verdicts:
        if v.verdict == NOT_RUN:
            continue
        lines.append(progress_line(v))
        if v.verdict in (FAILED, WARNED):
            lines.append(f"      why:  {v.reason or '(see the failure above)'}")
            lines.append(f"      hint: {v.clause.hint}")
        elif v.verdict == NOT_JUDGED:
            lines.append(f"      not judged: {v.reason}")
    lines.append(totals(verdicts, strict, ended, quick))
    return lines


def left_out_by_quick(verdicts, quick):
    """The long clauses a --quick run did not run, on a side it tested."""
    sides = tested_sides(verdicts)
    return [v.clause.id for v in verdicts if quick and is_long(v.clause.id)
            and v.verdict == NOT_RUN and v.clause.side in sides]


def totals(verdicts, strict, ended="", quick=False):
    count = {k: sum(1 for v in verdicts if v.verdict == k) for k in _MARK}
    must = sum(1 for v in verdicts if v.verdict == FAILED and v.clause.level == "MUST")
    head = (f"Clauses: {count[PASSED]} passed, {count[FAILED]} failed ({must} MUST), "
            f"{count[WARNED]} warned (SHOULD), {count[NOT_JUDGED]} not judged, "
            f"{count[NOT_RUN]} not run.")
    if ended:
        return f"{head} Verdict: NOT conforming, the run did not complete: {ended}"
    if not conforming(verdicts, strict):
        return f"{head} Verdict: NOT conforming"
    if left := left_out_by_quick(verdicts, quick):
        return (f"{head} Verdict: none, a quick run (--quick): {', '.join(left)} not run; "
                f"run without --quick to be judged conforming")
    return f"{head} Verdict: conforming" + (" (strict)" if strict else "")


def tested_sides(verdicts):
    return {v.clause.side for v in verdicts if v.verdict != NOT_RUN}


def to_json(verdicts, settings, ended=""):
    """The run's verdicts as JSON (the fields are described in
    tests/integration/README.md).  ended: as for conforming()."""
    sides = tested_sides(verdicts)
    return json.dumps({
        "server_cmd": settings.server_cmd if "server" in sides else None,
        "client_cmd": settings.client_cmd if "client" in sides else None,
        "strict": settings.strict,
        "completed": not ended,
        "incomplete_reason": ended,
        "conforming": (conforming(verdicts, settings.strict, ended)
                       and not left_out_by_quick(verdicts, settings.quick)),
        "quick": settings.quick,
        "summary": totals(verdicts, settings.strict, ended, settings.quick),
        "clauses": [{
            "id": v.clause.id, "level": v.clause.level, "title": v.clause.title,
            "verdict": v.verdict, "reason": v.reason,
            "hint": v.clause.hint if v.verdict in (FAILED, WARNED, NOT_JUDGED) else "",
            "tests": [{"name": r.name, "nodeid": r.nodeid, "outcome": r.outcome,
                       "reason": r.reason} for r in v.results],
        } for v in verdicts],
    }, indent=2)


def unfinished_json(settings):
    """What the JSON file says while the run is under way, and stays saying
    if the run is killed outright: never a stale verdict of an earlier run."""
    why = "the run has not finished (it is under way, or was killed before it could report)"
    return json.dumps({"server_cmd": settings.server_cmd, "client_cmd": settings.client_cmd,
                       "strict": settings.strict, "completed": False,
                       "incomplete_reason": why, "conforming": False,
                       "summary": f"Verdict: NOT conforming, {why}", "clauses": []}, indent=2)


def markdown(verdicts, settings, ended=""):
    sides = tested_sides(verdicts)
    rows = ["## Echo conformance", ""]
    if "server" in sides:
        rows.append(f"Server: `{settings.server_cmd}`  ")
    if "client" in sides:
        rows.append(f"Client: `{settings.client_cmd}`")
    rows += ["", f"**{totals(verdicts, settings.strict, ended, settings.quick)}**", "",
            "| | Clause | Level | Title | Why / hint |", "|---|---|---|---|---|"]
    icon = {PASSED: "✅", FAILED: "❌", WARNED: "⚠️", NOT_JUDGED: "❔"}
    for v in verdicts:
        if v.verdict == NOT_RUN:
            continue
        why = ""
        if v.verdict in (FAILED, WARNED, NOT_JUDGED):
            why = f"{v.reason} — *hint:* {v.clause.hint}".replace("|", "\\|")
        rows.append(f"| {icon[v.verdict]} | {v.clause.id} | {v.clause.level} | "
                    f"{v.clause.title} | {why} |")
    return "\n".join(rows) + "\n"
