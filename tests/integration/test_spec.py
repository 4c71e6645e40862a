"""SPEC.md and the tests agree: every test cites a clause that lists it, and
every test a clause lists exists and cites that clause.  The spec the
package ships is the one at the top of the tree."""

import re
from pathlib import Path

from echo_conformance import report, spec

ROOT = Path(__file__).resolve().parents[2]
TESTS = spec.SPEC_PATH.parent / "tests"
MARKED = re.compile(r'@pytest\.mark\.clause\("([^"]+)"\)\s*\ndef (test_\w+)')


def cited_clauses():
    found = {}
    for path in TESTS.glob("test_*.py"):
        for clause, name in MARKED.findall(path.read_text(encoding="utf-8")):
            found[name] = clause
    return found


def test_every_test_is_listed_under_its_clause():
    clauses = spec.load()
    unlisted = [f"{name} (cites {cid})" for name, cid in cited_clauses().items()
                if cid not in clauses or name not in clauses[cid].tests]
    assert not unlisted, f"tests missing from their clause's Tests line in SPEC.md: {unlisted}"


def test_every_listed_test_exists_and_cites_its_clause():
    found = cited_clauses()
    wrong = [f"{c.id}: {name}" for c in spec.load().values() for name in c.tests
             if found.get(name) != c.id]
    assert not wrong, f"SPEC.md lists tests that do not exist or cite another clause: {wrong}"


def test_every_clause_has_a_hint_and_a_test_or_a_verdict():
    # The memory clauses are judged from valgrind logs, not by a test.
    judged_from_logs = set(report.MEMORY_CLAUSES)
    bare = [c.id for c in spec.load().values()
            if not c.hint or (not c.tests and c.id not in judged_from_logs)]
    assert not bare, f"clauses without a usual cause or without tests: {bare}"


def test_the_top_level_spec_is_the_one_the_package_ships():
    assert (ROOT / "SPEC.md").resolve() == spec.SPEC_PATH.resolve(), \
        "SPEC.md at the top must be a link to tests/integration/echo_conformance/SPEC.md"
