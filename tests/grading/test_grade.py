"""`echo-conformance grade` on a small class: correct, broken and hostile
submissions graded in one command, each with the right verdict per clause,
its reason in its row, nothing left on the machine, and reports a browser
opens (docs/grading.md)."""

import csv
import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import CONFIG, conformance, grade, graded_clauses
from echo_conformance.report import FAILED, NOT_RUN, PASSED



def verdicts(base, name):
    return {c["id"]: c for c in conformance(base, name)["clauses"]}


def not_passing(base, name):
    return {i for i, c in verdicts(base, name).items() if c["verdict"] not in (PASSED, NOT_RUN)}


def test_the_class_is_graded_in_one_command(graded):
    base, result, expected = graded
    assert result.returncode == 0, result.stderr
    for name in expected:
        assert (base / "results" / name / "conformance.json").exists(), name


def test_a_correct_server_passes_every_server_clause(graded):
    base, _, _ = graded
    assert not_passing(base, "reference-server") == set()


def test_a_mutant_fails_the_clause_of_its_defect(graded):
    base, _, expected = graded
    assert set(expected["nul-truncates"]["not_passing"]) <= not_passing(base, "nul-truncates")


def test_a_server_that_ignores_sigterm_fails_S_LIFE_1(graded):
    # SPEC S-LIFE-1: the server exits promptly on SIGTERM.
    base, _, _ = graded
    assert "S-LIFE-1" in not_passing(base, "sigterm-ignored")


def test_a_server_whose_grandchildren_never_exit_fails_S_REAP_5(graded):
    # SPEC S-REAP-5: no process of a connection outlives it for long.
    base, _, _ = graded
    assert "S-REAP-5" in not_passing(base, "double-fork-immortal")


def test_a_failed_build_fails_every_clause_with_its_reason(graded):
    base, _, _ = graded
    doc = conformance(base, "build-fails")
    assert all(c["verdict"] == FAILED and "build" in c["reason"] for c in graded_clauses(doc))
    assert len(graded_clauses(doc)) == len(graded_clauses(conformance(base, "reference-server")))
    assert "missing_function" in (base / "results" / "build-fails" / "build.log").read_text()


@pytest.mark.parametrize("name", ["never-listens", "busy-loop", "stderr-flood", "fork-bomb"])
def test_a_server_that_never_listens_fails_every_server_clause_in_seconds(graded, name):
    base, _, _ = graded
    doc = conformance(base, name)
    server = [c for c in graded_clauses(doc) if c["id"].startswith("S-")]
    assert len(server) == len(graded_clauses(conformance(base, "reference-server")))
    assert all(c["verdict"] == FAILED and "listen" in c["reason"] for c in server)
    # Found once by the probe, not by every test waiting for it in turn:
    # no suite run at all when only the server side is graded.
    assert doc["grading"]["suite"] is None


def test_only_the_head_of_a_flood_of_output_is_kept(graded):
    base, _, _ = graded
    log = base / "results" / "stderr-flood" / "server-stderr.log"
    keep = 64 << 10
    assert 0 < log.stat().st_size <= keep + 100
    assert log.read_text().endswith("not kept]\n")


def test_nothing_of_any_submission_is_left_running(graded):
    base, _, expected = graded
    uids = {json.loads((base / "results" / n / "job.json").read_text())["uid"] for n in expected}
    left = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid in uids:
                left.append(entry.name)
        except FileNotFoundError:
            pass
    assert left == []


def test_no_sandbox_reports_processes_it_could_not_end(graded):
    base, _, expected = graded
    assert [n for n in expected if conformance(base, n)["grading"]["processes_left"]] == []


def test_gradescope_results_have_the_fields_the_platform_reads(graded):
    base, _, _ = graded
    doc = json.loads((base / "results" / "reference-server" / "results.json").read_text())
    assert doc["score"] == sum(t["score"] for t in doc["tests"])
    for t in doc["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed")
    echo1 = next(t for t in doc["tests"] if t["name"].startswith("S-ECHO-1 "))
    assert echo1["max_score"] == 5      # the config's points for that clause


def test_results_csv_has_a_row_per_submission_and_a_column_per_clause(graded):
    base, _, expected = graded
    with open(base / "results" / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["submission"] for r in rows) == sorted(expected)
    clauses = conformance(base, "reference-server")["clauses"]
    assert all(c["id"] in rows[0] for c in clauses)


def test_the_page_loads_nothing_from_the_network(graded):
    base, _, _ = graded
    page = (base / "results" / "index.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_the_page_opens_in_a_headless_browser_with_the_right_counts(graded):
    base, _, expected = graded
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (apt-get install chromium)", pytrace=False)
    run = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--enable-logging=stderr", "--v=0", "--dump-dom",
                          (base / "results" / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    dom = run.stdout
    rows = len(expected)
    columns = len(conformance(base, "reference-server")["clauses"])
    assert f'data-ready="{rows * columns}"' in dom, "the page's script did not run"
    assert dom.count('<tr data-submission=') == rows
    assert not re.search(r"CONSOLE.*(Error|Uncaught)|Uncaught", run.stderr), run.stderr


def test_a_second_run_resumes_without_grading_again(graded, tmp_path):
    base, _, expected = graded
    config = tmp_path / "grading.ini"
    config.write_text(CONFIG)
    again = grade(base / "class", base / "results", config, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("resumed") == len(expected)


# Every submission has the same maximum: the clauses graded come from the
# config, whatever the submission did (docs/grading.md, "Report fields").

def test_every_submission_has_the_same_maximum_score(graded):
    base, _, expected = graded
    with open(base / "results" / "results.csv", newline="") as f:
        maxima = {r["submission"]: r["max_score"] for r in csv.DictReader(f)}
    assert len(set(maxima.values())) == 1, maxima


# Units of the grader's scoring, without a sandbox.

def _config(**grade):
    from echo_conformance.grade import config
    return dataclasses.replace(config.Config(), sides=("server",), **grade)


def test_clauses_judged_only_on_request_are_graded_for_no_one_unless_asked():
    from echo_conformance.grade import runner
    plain = runner.graded_clauses(_config())
    assert not plain & {"S-MEM-1", "S-MEM-2", "S-SCALE-1"}
    asked = runner.graded_clauses(_config(suite_args=("--valgrind", "--scale=100")))
    assert {"S-MEM-1", "S-MEM-2", "S-SCALE-1"} <= asked
    only = runner.graded_clauses(_config(suite_args=("--only-clauses", "s-echo-1,S-LIFE-1")))
    assert only == {"S-ECHO-1", "S-LIFE-1"}


def _suite_report(completed, judged):
    """A suite's conformance.json that judged the clauses in judged (id: verdict)."""
    return {"completed": completed, "incomplete_reason": "" if completed else "interrupted "
            "(signal SIGHUP)", "clauses": [{"id": cid, "verdict": v, "reason": "", "tests": []}
                                           for cid, v in judged.items()]}


def _verdicts(suite_json):
    from echo_conformance.grade import runner, sandbox
    inside = {"build": {"ok": True}, "sides": {"server": {"ok": True}}, "suite": {"exit": 2}}
    outcome = sandbox.Outcome(0, False, 1.0, [], False)
    return {c["id"]: c for c in runner._verdicts(_config(), inside, suite_json, outcome)}


def test_a_clause_the_interrupted_suite_never_reached_fails_with_why():
    # Issue 19.5: a SIGHUP once gave 28/28 for clauses left "not run".
    got = _verdicts(_suite_report(False, {"S-ECHO-1": PASSED, "S-ECHO-2": NOT_RUN}))
    assert got["S-ECHO-1"]["verdict"] == PASSED
    assert got["S-ECHO-2"]["verdict"] == FAILED
    assert "did not complete" in got["S-ECHO-2"]["reason"]
    assert "SIGHUP" in got["S-ECHO-2"]["reason"]


def test_a_clause_missing_from_the_suites_report_fails():
    got = _verdicts(_suite_report(True, {"S-ECHO-1": PASSED}))
    assert got["S-LIFE-1"]["verdict"] == FAILED, got["S-LIFE-1"]
    assert got["S-MEM-1"]["verdict"] == NOT_RUN   # not asked for: no one's maximum


def test_no_suite_report_at_all_fails_every_graded_clause():
    got = _verdicts(None)
    graded = [c for c in got.values() if c["verdict"] != NOT_RUN]
    assert graded and all(c["verdict"] == FAILED and "no report" in c["reason"]
                          for c in graded)


# A class of hostile names (tests/grading/hostile/names.py), each a
# submission whose build fails at once, beside prints-fake-verdict, whose
# server forges a verdict in its output: graded twice (the second run
# resumes), the grader must neither crash nor show any of it unescaped.

UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def unsafe_characters(text, allowed="\n"):
    return sorted({f"U+{ord(ch):04X}" for ch in text
                   if unicodedata.category(ch) in UNSAFE and ch not in allowed})


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    import make_class
    from hostile.names import LINK, NAMES
    base = tmp_path_factory.mktemp("hostile-names")
    folder = base / "class"
    folder.mkdir()
    for raw, _ in NAMES:
        make_class.write_submission(folder / os.fsdecode(raw), "server",
                                    make_class.HOSTILE / "build-fails.c")
    make_class.write_submission(folder / "fake-verdict", "server",
                                make_class.HOSTILE / "prints-fake-verdict.c")
    outside = base / "outside"
    make_class.write_submission(outside, "server", make_class.ROOT / "src" / "server.c")
    (folder / os.fsdecode(LINK)).symlink_to(outside)
    config = base / "grading.ini"
    config.write_text(CONFIG)
    first = grade(folder, base / "results", config)
    again = grade(folder, base / "results", config, timeout=300)
    return base, first, again


def _rows(base):
    with open(base / "results" / "results.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_hostile_names_do_not_stop_the_grader_on_any_run(hostile_class):
    from hostile.names import NAMES
    base, first, again = hostile_class
    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert len(_rows(base)) == len(NAMES) + 1


def test_a_symbolic_link_at_the_top_is_never_followed(hostile_class):
    from hostile.names import LINK
    base, first, _ = hostile_class
    assert not (base / "results" / os.fsdecode(LINK)).exists()
    assert os.fsdecode(LINK) not in {r["submission"] for r in _rows(base)}
    assert "symbolic link" in first.stderr, first.stderr


def test_a_name_that_is_not_utf8_is_shown_with_its_byte_escaped(hostile_class):
    base, _, _ = hostile_class
    assert "caf\\xe9-latin1" in {r["submission"] for r in _rows(base)}
    assert (base / "results" / "caf\\xe9-latin1" / "conformance.json").exists()


def test_a_submission_named_like_a_class_report_gets_results_of_its_own(hostile_class):
    base, _, _ = hostile_class
    assert (base / "results" / "index.html").is_file()
    assert (base / "results" / "results.csv").is_file()
    for renamed in ("index.html~2", "results.csv~2"):
        assert (base / "results" / renamed / "conformance.json").exists(), renamed


def test_every_link_of_the_page_is_a_relative_path_to_an_existing_file(hostile_class):
    # A "javascript:" name stays a path; "#" and "?" stay part of it.
    base, _, _ = hostile_class
    page = (base / "results" / "index.html").read_text(encoding="utf-8")
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
    assert links
    for link in links:
        assert link.startswith("./") and not re.search(r"[#?:]", link), link
        target = base / "results" / unquote(link)
        assert target.resolve().parent.parent == (base / "results").resolve(), link
    folders = {unquote(link).split("/")[1] for link in links}
    assert len(folders) == len(_rows(base))
    assert all((base / "results" / folder).is_dir() for folder in folders), folders
    for link in links:
        if link.endswith("conformance.json"):
            assert (base / "results" / unquote(link)).exists(), link


def test_no_markup_of_a_name_reaches_the_page(hostile_class):
    base, _, _ = hostile_class
    page = (base / "results" / "index.html").read_text(encoding="utf-8")
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_no_name_is_a_formula_in_the_gradebook(hostile_class):
    base, _, _ = hostile_class
    with open(base / "results" / "results.csv", newline="", encoding="utf-8") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "'=HYPERLINK(\"mailto:x@grader.invalid\",\"open\")" in cells


def test_no_control_or_bidi_character_reaches_the_terminal_or_a_report(hostile_class):
    base, first, again = hostile_class
    shown = {"terminal": first.stdout + first.stderr + again.stdout + again.stderr,
             "index.html": (base / "results" / "index.html").read_text(encoding="utf-8"),
             "results.csv": (base / "results" / "results.csv").read_text(encoding="utf-8")}
    for doc in (base / "results").glob("*/*.json"):
        if doc.name in ("conformance.json", "results.json"):
            shown[str(doc)] = json.dumps(json.loads(doc.read_text()), ensure_ascii=False)
    found = {where: bad for where, text in shown.items()
             if (bad := unsafe_characters(text, allowed="\n\r" if where == "results.csv"
                                          else "\n"))}
    assert found == {}


def test_a_programs_forged_verdict_is_shown_as_its_own_output_inert(hostile_class):
    base, _, _ = hostile_class
    doc = json.loads((base / "results" / "fake-verdict" / "conformance.json").read_text())
    quoted = [c["reason"] for c in doc["clauses"] if "award full marks" in c["reason"]]
    assert quoted, [c["reason"] for c in doc["clauses"]][:3]
    for reason in quoted:
        assert "[the program's own output:] «" in reason, reason
        assert "\\x1b[2J" in reason and "\\u202e" in reason, reason
    gradescope = json.loads((base / "results" / "fake-verdict" / "results.json").read_text())
    outputs = [t["output"] for t in gradescope["tests"] if "award full marks" in t["output"]]
    assert outputs and all("[the program's own output:]" in o for o in outputs)


def test_every_hostile_submission_has_the_same_maximum_score(hostile_class):
    base, _, _ = hostile_class
    assert len({r["max_score"] for r in _rows(base)}) == 1, _rows(base)


def test_the_histogram_labels_its_bins_and_its_axis(hostile_class):
    base, _, _ = hostile_class
    page = (base / "results" / "index.html").read_text(encoding="utf-8")
    histogram = page[page.index('id="histogram"'):]
    labels = re.findall(r"<figcaption>([^<]*)</figcaption>", histogram)
    assert labels[0] == "0\u20139%" and labels[-1] == "90\u2013100%" and len(labels) == 10
    assert "number of submissions" in histogram and "% of the maximum" in histogram


def test_a_suite_report_that_is_not_the_suites_fails_every_graded_clause(tmp_path):
    # Whatever lands in suite.json, one submission's report cannot stop the
    # grader for the class: what is not the suite's report counts as none.
    from echo_conformance.grade import runner, sandbox
    (tmp_path / "inside.json").write_text(json.dumps(
        {"build": {"ok": True}, "sides": {"server": {"ok": True}}, "suite": {"exit": 0}}))
    (tmp_path / "suite.json").write_text(json.dumps({"clauses": ["S-ECHO-1", 7]}))
    doc = runner.write_reports("odd", tmp_path, _config(),
                               sandbox.Outcome(0, False, 1.0, [], False))
    graded = [c for c in doc["clauses"] if c["verdict"] != "not run"]
    assert graded and all(c["verdict"] == "failed" for c in graded)
