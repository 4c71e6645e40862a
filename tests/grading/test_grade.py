"""`echo-conformance grade` on a small class: correct, broken and hostile
submissions graded in one command, each with the right verdict per clause,
its reason in its row, nothing left on the machine, and reports a browser
opens (docs/grading.md)."""

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CONFIG, conformance, grade
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
    assert all(c["verdict"] == FAILED and "build" in c["reason"] for c in doc["clauses"])
    assert "missing_function" in (base / "results" / "build-fails" / "build.log").read_text()


@pytest.mark.parametrize("name", ["never-listens", "busy-loop", "stderr-flood", "fork-bomb"])
def test_a_server_that_never_listens_fails_every_server_clause_in_seconds(graded, name):
    base, _, _ = graded
    doc = conformance(base, name)
    server = [c for c in doc["clauses"] if c["id"].startswith("S-")]
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
