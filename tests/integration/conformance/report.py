"""Verdicts by clause, from the test reports and the valgrind logs, rendered
for the terminal, as JSON and as Markdown."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PASSED, FAILED, WARNED, SKIPPED, NOT_RUN = "passed", "failed", "warned", "skipped", "not run"
SHOULD_PREFIX = "SHOULD clause"      # starts the xfail reason of a downgraded SHOULD failure


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


class Recorder:
    """Collects test outcomes by clause, in the process that reports
    (the xdist controller, or the only process)."""

    def __init__(self, clauses):
        self.clauses = clauses
        self.results = {}       # nodeid -> Result
        self.extra = {}         # clause id -> Verdict judged outside tests (valgrind)

    def add(self, report):
        props = dict(report.user_properties)
        clause = props.get("clause")
        if clause is None:
            return
        name = report.nodeid.split("::")[-1]
        previous = self.results.get(report.nodeid)
        if previous and previous.outcome in (FAILED, WARNED):
            return          # a teardown after a failure adds nothing
        if report.failed:
            outcome, reason = FAILED, props.get("reason", "")
            if report.when != "call":
                reason = f"could not {report.when}: {reason}"
        elif hasattr(report, "wasxfail") and report.wasxfail.startswith(SHOULD_PREFIX):
            outcome, reason = WARNED, props.get("reason", "")
        elif report.skipped:
            outcome = SKIPPED
            reason = ""
            if isinstance(report.longrepr, tuple):
                reason = report.longrepr[2].removeprefix("Skipped: ")
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
            if not results:
                verdict = NOT_RUN
            elif FAILED in outcomes:
                verdict = FAILED
            elif WARNED in outcomes:
                verdict = WARNED
            elif PASSED in outcomes:
                verdict = PASSED
            else:
                verdict = SKIPPED
            reason = "; ".join(f"{r.name}: {r.reason}" for r in results
                               if r.outcome in (FAILED, WARNED, SKIPPED) and r.reason)
            out.append(Verdict(clause, verdict, results, reason))
        return out


def must_failures(verdicts):
    return [v for v in verdicts if v.verdict == FAILED and v.clause.level == "MUST"]


def conforming(verdicts, strict):
    bad = [v for v in verdicts if v.verdict == FAILED and (v.clause.level == "MUST" or strict)]
    return not bad


# Valgrind logs.

@dataclass
class ValgrindLog:
    path: Path
    command: str
    errors: int | None      # None: the log has no summary (process killed)
    definitely: int
    indirectly: int


def _bytes(pattern, text):
    m = re.search(pattern, text)
    return int(m[1].replace(",", "")) if m else 0


def read_valgrind_logs(directory):
    logs = []
    for path in sorted(Path(directory).glob("*.log")):
        text = path.read_text(errors="replace")
        command = re.search(r"==\d+== Command: (.*)", text)
        errors = re.search(r"ERROR SUMMARY: ([\d,]+) errors", text)
        logs.append(ValgrindLog(path, command[1] if command else "?",
                                int(errors[1].replace(",", "")) if errors else None,
                                _bytes(r"definitely lost: ([\d,]+) bytes", text),
                                _bytes(r"indirectly lost: ([\d,]+) bytes", text)))
    return logs


def valgrind_verdict(clause, directory):
    logs = read_valgrind_logs(directory) if directory.is_dir() else []
    if not logs:
        return Verdict(clause, NOT_RUN, reason="no valgrind log was written")
    bad = [log for log in logs if log.errors or log.definitely or log.indirectly]
    unfinished = [log for log in logs if log.errors is None]
    if bad:
        worst = ", ".join(f"{log.path} ({log.command}: {log.errors} errors, "
                          f"{log.definitely} bytes definitely and {log.indirectly} "
                          f"indirectly lost)" for log in bad[:5])
        return Verdict(clause, FAILED, reason=f"{len(bad)} of {len(logs)} processes "
                                              f"reported errors or leaks: {worst}")
    note = (f"; {len(unfinished)} processes were killed before valgrind could summarise"
            if unfinished else "")
    return Verdict(clause, PASSED, reason=f"{len(logs)} process logs clean in {directory}{note}")


# Rendering.

_MARK = {PASSED: "PASS", FAILED: "FAIL", WARNED: "WARN", SKIPPED: "SKIP", NOT_RUN: "----"}


def terminal_lines(verdicts, strict, complete=True):
    lines = []
    for v in verdicts:
        if v.verdict == NOT_RUN:
            continue
        lines.append(f"{_MARK[v.verdict]}  {v.clause.id:<12} {v.clause.level:<6}  {v.clause.title}")
        if v.verdict in (FAILED, WARNED):
            lines.append(f"      why:  {v.reason or '(see the failure above)'}")
            lines.append(f"      hint: {v.clause.hint}")
        elif v.verdict == SKIPPED and v.reason:
            lines.append(f"      why:  {v.reason}")
    lines.append(totals(verdicts, strict, complete))
    return lines


def totals(verdicts, strict, complete=True):
    count = {k: sum(1 for v in verdicts if v.verdict == k) for k in _MARK}
    must = len(must_failures(verdicts))
    head = (f"Clauses: {count[PASSED]} passed, {count[FAILED]} failed ({must} MUST), "
            f"{count[WARNED]} warned (SHOULD), {count[SKIPPED]} skipped, "
            f"{count[NOT_RUN]} not run.")
    if not conforming(verdicts, strict):
        return f"{head} Verdict: NOT conforming"
    if not complete:
        return f"{head} Verdict: none, the run was interrupted"
    return f"{head} Verdict: conforming" + (" (strict)" if strict else "")


def tested_sides(verdicts):
    return {v.clause.side for v in verdicts if v.verdict != NOT_RUN}


def to_json(verdicts, settings):
    sides = tested_sides(verdicts)
    return json.dumps({
        "server_cmd": settings.server_cmd if "server" in sides else None,
        "client_cmd": settings.client_cmd if "client" in sides else None,
        "strict": settings.strict,
        "conforming": conforming(verdicts, settings.strict),
        "summary": totals(verdicts, settings.strict),
        "clauses": [{
            "id": v.clause.id, "level": v.clause.level, "title": v.clause.title,
            "verdict": v.verdict, "reason": v.reason,
            "hint": v.clause.hint if v.verdict in (FAILED, WARNED) else "",
            "tests": [{"name": r.name, "nodeid": r.nodeid, "outcome": r.outcome,
                       "reason": r.reason} for r in v.results],
        } for v in verdicts],
    }, indent=2)


def markdown(verdicts, settings):
    sides = tested_sides(verdicts)
    rows = ["## Echo conformance", ""]
    if "server" in sides:
        rows.append(f"Server: `{settings.server_cmd}`  ")
    if "client" in sides:
        rows.append(f"Client: `{settings.client_cmd}`")
    rows += ["", f"**{totals(verdicts, settings.strict)}**", "",
            "| | Clause | Level | Title | Why / hint |", "|---|---|---|---|---|"]
    icon = {PASSED: "✅", FAILED: "❌", WARNED: "⚠️", SKIPPED: "⏭️"}
    for v in verdicts:
        if v.verdict == NOT_RUN:
            continue
        why = ""
        if v.verdict in (FAILED, WARNED):
            why = f"{v.reason} — *hint:* {v.clause.hint}".replace("|", "\\|")
        rows.append(f"| {icon[v.verdict]} | {v.clause.id} | {v.clause.level} | "
                    f"{v.clause.title} | {why} |")
    return "\n".join(rows) + "\n"
