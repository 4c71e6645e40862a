"""Reports of a graded class: Gradescope's results.json per submission, and
for the class results.csv and a static index.html that loads nothing from
the network (styles and script inline, data embedded)."""

import csv
import html
from pathlib import Path
from urllib.parse import quote

from .. import report

LOG_FILES = ("build.log", "server-stderr.log", "suite.log")


def points(doc, config):
    """(score, max) over the graded clauses: a clause earns its points only
    when passed; warned, failed and not judged earn none."""
    got = total = 0.0
    for c in doc["clauses"]:
        if c["verdict"] == report.NOT_RUN:
            continue
        worth = config.points_for(c["id"], c["level"])
        total += worth
        got += worth if c["verdict"] == report.PASSED else 0.0
    return got, total


def _why(clause):
    """A clause's reason and hint, made inert again (report.one_line): the
    reports show nothing a program wrote as it wrote it."""
    why = clause["reason"] or ""
    if clause.get("hint"):
        why += f" (usual cause: {clause['hint']})"
    return report.one_line(why)


def gradescope(doc, config):
    """Gradescope's autograder format: one test per clause, visible to the student."""
    score, _ = points(doc, config)
    tests = []
    for c in doc["clauses"]:
        if c["verdict"] == report.NOT_RUN:
            continue
        worth = config.points_for(c["id"], c["level"])
        ok = c["verdict"] == report.PASSED
        tests.append({"name": f"{c['id']} ({c['level']}): {c['title']}",
                      "score": worth if ok else 0.0, "max_score": worth,
                      "status": "passed" if ok else "failed",
                      "output": c["verdict"] + (f": {_why(c)}" if not ok else ""),
                      "visibility": "visible"})
    grading = doc["grading"]
    notes = grading["limits_hit"] + (["the wall clock ran out"] if grading["timed_out"] else [])
    out = {"score": score, "tests": tests, "visibility": "visible"}
    if notes:
        out["output"] = "Sandbox: " + "; ".join(notes)
    return out


def write_class(docs, out, config):
    out = Path(out)
    ids = _clause_ids(docs)
    with open(out / "results.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "score", "max_score", "build", *ids])
        for doc in docs:
            score, total = points(doc, config)
            verdict = {c["id"]: c["verdict"] for c in doc["clauses"]}
            w.writerow([csv_text(report.clean(doc["submission"])), score, total, _build_state(doc),
                        *[verdict.get(i, report.NOT_RUN) for i in ids]])
    (out / "index.html").write_text(page(docs, ids, config), encoding="utf-8")


# What a spreadsheet takes for the start of a formula (=HYPERLINK(...), +cmd,
# -2+3, @SUM) when it opens a CSV file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text):
    """text for a CSV cell that a spreadsheet shows as text, never runs:
    a leading apostrophe where it would start a formula (OWASP's advice)."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def href(name, file):
    """A relative link to file in a submission's results folder: the name
    percent-encoded whole, so that a "javascript:" name stays a path and
    "#" or "?" stay part of it."""
    return f"./{quote(name, safe='')}/{quote(file)}"


def _clause_ids(docs):
    ids = []
    for doc in docs:
        for c in doc["clauses"]:
            if c["id"] not in ids:
                ids.append(c["id"])
    return ids


def _build_state(doc):
    build = doc["grading"].get("build")
    if build is None:
        return "not run"
    return "ok" if build["ok"] else "failed"


COLOURS = {report.PASSED: "#2e7d32", report.FAILED: "#c62828", report.WARNED: "#f9a825",
           report.NOT_JUDGED: "#6a1b9a", report.NOT_RUN: "#9e9e9e"}
MARKS = {report.PASSED: "✓", report.FAILED: "✗", report.WARNED: "!",
         report.NOT_JUDGED: "?", report.NOT_RUN: "·"}

STYLE = """
body { font: 14px sans-serif; margin: 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 4px; text-align: center; }
th.clause { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; }
td.v { color: #fff; cursor: pointer; min-width: 1.2em; }
td.name { text-align: left; white-space: nowrap; }
#detail { position: sticky; bottom: 0; background: #fffde7; border: 1px solid #ccc;
          padding: .5em; min-height: 2em; white-space: pre-wrap; }
.hist { display: flex; align-items: flex-end; gap: 4px; }
.hist figure { margin: 0; display: flex; flex-direction: column; align-items: center;
               justify-content: flex-end; height: 150px; width: 48px; font-size: 11px; }
.hist .bar { background: #1565c0; width: 100%; }
.hist figcaption { white-space: nowrap; }
"""

# Marks the body once the script has run, so that a headless browser's
# dump of the page shows the script ran without error.
SCRIPT = """
document.body.setAttribute('data-ready', String(document.querySelectorAll('td.v').length));
document.querySelectorAll('td.v').forEach(function (cell) {
  cell.addEventListener('click', function () {
    document.getElementById('detail').textContent = cell.getAttribute('title');
  });
});
"""


def _bin_label(i, bins):
    """The range of scores bin i holds, in % of the maximum: "0-9" ... "90-100"
    (the last bin holds the full marks too)."""
    low, high = i * 100 // bins, (i + 1) * 100 // bins
    return f"{low}–{high}" if i == bins - 1 else f"{low}–{high - 1}"


def _histogram(scores, total, bins=10):
    """Submissions by score: per bin its count above the bar and its range
    below, on an axis that says what both are."""
    counts = [0] * bins
    for s in scores:
        counts[min(int(s / total * bins), bins - 1) if total else 0] += 1
    top = max(counts) or 1
    bars = "".join(
        f'<figure data-bin="{_bin_label(i, bins)}"><span class="count">{n}</span>'
        f'<div class="bar" style="height:{max(2, 100 * n // top)}px"></div>'
        f'<figcaption>{_bin_label(i, bins)}%</figcaption></figure>'
        for i, n in enumerate(counts))
    return (f'<div class="hist" id="histogram" role="img" aria-label="number of submissions '
            f'by score">{bars}</div>'
            f'<p class="axis">Each bar: the number of submissions (above it) whose score '
            f'is in the range below it, in % of the maximum of {total:g} points.</p>')


def page(docs, ids, config):
    e = html.escape
    head = "".join(f'<th class="clause">{e(i)}</th>' for i in ids)
    rows, scores, total = [], [], 0.0
    for doc in docs:
        score, total = points(doc, config)
        scores.append(score)
        verdict = {c["id"]: c for c in doc["clauses"]}
        name = report.clean(doc["submission"])     # inert already, unless graded by an older grader
        logs = " ".join(f'<a href="{e(href(name, f))}">{f.split(".")[0]}</a>' for f in LOG_FILES)
        notes = "; ".join(doc["grading"]["limits_hit"]
                          + (["wall clock ran out"] if doc["grading"]["timed_out"] else []))
        cells = []
        for i in ids:
            c = verdict.get(i)
            v = c["verdict"] if c else report.NOT_RUN
            title = f"{name} {i}: {v}" + (f" - {_why(c)}" if c and _why(c) else "")
            cells.append(f'<td class="v" data-verdict="{e(v)}" style="background:'
                         f'{COLOURS[v]}" title="{e(title)}">{MARKS[v]}</td>')
        rows.append(f'<tr data-submission="{e(name)}"><td class="name">{e(name)}</td>'
                    f'<td>{score:g}</td><td>{e(_build_state(doc))}</td>'
                    f'<td>{logs} <a href="{e(href(name, "conformance.json"))}">json</a></td>'
                    f'<td>{e(notes)}</td>{"".join(cells)}</tr>')
    legend = " ".join(f'<span style="background:{COLOURS[v]};color:#fff;padding:0 4px">'
                      f'{MARKS[v]} {v}</span>' for v in COLOURS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Echo conformance: class results</title>
<style>{STYLE}</style></head><body>
<h1>Echo conformance: {len(docs)} submissions</h1>
<p>{legend}. Hover or click a cell for its reason. Whatever a program wrote follows
"[the program's own output:]" in «», its control characters written as escapes.</p>
<h2>Scores (out of {total:g})</h2>
{_histogram(scores, total)}
<h2>Clauses</h2>
<table id="results"><thead><tr><th>submission</th><th>score</th><th>build</th><th>logs</th>
<th>sandbox</th>{head}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<div id="detail"></div>
<script>{SCRIPT}</script>
</body></html>
"""
