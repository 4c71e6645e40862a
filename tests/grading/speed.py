"""Where a graded class's time went, and whether each verdict is the one
expected (make_class.py's DIR-expected.json).  For docs/grading-speed.md.

    speed.py RESULTS_DIR EXPECTED_JSON [WALL_SECONDS]

Time waiting on timeouts: the probe's wait for a server that never listens,
sandboxes cut by the wall clock, and the suite's tests that failed on a
timeout or a budget (their durations from the suite's JUnit file)."""

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# The hostile programs make_class.py adds (and the one that does not build).
HOSTILE = {p.stem for p in (Path(__file__).parent / "hostile").glob("*.c")}
TIMEOUT_WORDS = ("within", "budget", "nothing arrived", "timed out", "timeout", "still")


def waited_in_suite(folder):
    """Seconds of the suite's tests that failed by waiting out a bound."""
    try:
        tree = ET.parse(folder / "suite.xml")
    except (OSError, ET.ParseError):
        return 0.0
    total = 0.0
    for case in tree.iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        message = "" if failure is None else (failure.get("message") or "").lower()
        if failure is not None and any(w in message for w in TIMEOUT_WORDS):
            total += float(case.get("time", 0))
    return total


def kind(entry):
    if entry["program"] in HOSTILE:
        return "hostile or unbuildable"
    return "correct" if not entry["not_passing"] else "one-defect mutant"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path, help="the grader's --out folder")
    ap.add_argument("expected", type=Path, help="make_class.py's DIR-expected.json")
    ap.add_argument("wall", type=float, nargs="?",
                    help="the run's wall-clock seconds, to print beside the sums")
    args = ap.parse_args()
    try:
        expected = json.loads(args.expected.read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"speed.py: {args.expected}: {e}")
    if not args.results.is_dir():
        sys.exit(f"speed.py: {args.results}: not a folder of results")
    results, wall = args.results, args.wall
    rows, wrong, extra = {}, [], []
    graded = 0
    for name, entry in expected.items():
        doc_path = results / name / "conformance.json"
        if not (results / name / ".graded").exists():
            continue
        graded += 1
        doc = json.loads(doc_path.read_text())
        g = doc["grading"]
        waited = waited_in_suite(results / name)
        for side in g["sides"].values():
            if not side.get("ok", True):
                waited += side.get("seconds", 0)
        if g["timed_out"]:
            waited = g["seconds"]
        k = kind(entry)
        r = rows.setdefault(k, {"n": 0, "seconds": 0.0, "waited": 0.0, "max": 0.0})
        r["n"] += 1
        r["seconds"] += g["seconds"]
        r["waited"] += waited
        r["max"] = max(r["max"], g["seconds"])
        failing = {c["id"] for c in doc["clauses"] if c["verdict"] not in ("passed", "not run")}
        want = set(entry["not_passing"])
        if k == "correct" and failing:
            wrong.append(f"{name}: a correct program, not passing {sorted(failing)}")
        elif k == "one-defect mutant" and not want <= failing:
            wrong.append(f"{name}: expected {sorted(want)} not to pass, not passing {sorted(failing)}")
        elif k == "one-defect mutant" and failing != want:
            extra.append(f"{name}: also not passing {sorted(failing - want)}")
        elif k != "correct" and not failing:
            wrong.append(f"{name}: passes everything")
    total = sum(r["seconds"] for r in rows.values())
    waited = sum(r["waited"] for r in rows.values())
    print(f"{graded} of {len(expected)} submissions graded"
          + (f" in {wall / 60:.1f} min of wall-clock time" if wall else ""))
    print(f"sandbox time summed over submissions: {total / 60:.1f} min; "
          f"waiting on timeouts: {waited / 60:.1f} min ({100 * waited / max(total, 1):.0f} %)")
    print("\n| kind | n | mean s | max s | waiting share |\n|---|---|---|---|---|")
    for k, r in sorted(rows.items()):
        print(f"| {k} | {r['n']} | {r['seconds'] / r['n']:.0f} | {r['max']:.0f} | "
              f"{100 * r['waited'] / max(r['seconds'], 1):.0f} % |")
    print(f"\nverdicts not as expected: {len(wrong)}")
    for line in wrong:
        print(f"- {line}")
    # A mutant's defect may show in more clauses than make mutants' table
    # names (stage2 dies when any child ends): listed, to be read, not wrong.
    print(f"\nmutants not passing more than their own clauses: {len(extra)}")
    for line in extra:
        print(f"- {line}")


if __name__ == "__main__":
    main()
