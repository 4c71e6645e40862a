"""The time clauses' silence passes beside the other tests when they run in
one process, as the grader runs them: it begins with the run, the time
tests come last, and the other tests' servers, their cleanups included,
leave the silence's servers alone, even where every connection is served
by an orphan in a session of its own."""

import json
import xml.etree.ElementTree as ET

from test_run_integrity import finish, program, start_suite

TIME_TESTS = {"test_server_alone_for_long_still_sleeps", "test_server_alone_for_long_still_serves",
              "test_connection_silent_for_long_still_echoes"}


def test_in_one_process_the_silence_outlives_the_other_tests_and_is_judged_last(runs, tmp_path):
    # double-fork-setsid breaks only S-LIFE-7, left out here.  Before the
    # servers of one process were told apart, the cleanup after the first
    # other test killed the orphan serving the silent client.
    report, junit = tmp_path / "conformance.json", tmp_path / "junit.xml"
    run = start_suite(program("mutants", "double-fork-setsid"), report, "--timeout-scale", "1",
                      "--junit-xml", str(junit), "-p", "no:randomly",
                      "--only-clauses", "S-ECHO-1,S-ECHO-2,S-REAP-1,S-LIFE-1,S-TIME-1,S-TIME-2")
    runs.append(run)
    status, out = finish(run)
    doc = json.loads(report.read_text())
    verdicts = {c["id"]: c["verdict"] for c in doc["clauses"] if c["verdict"] != "not run"}
    assert status == 0 and set(verdicts.values()) == {"passed"}, (verdicts, out[-2000:])
    assert {"S-TIME-1", "S-TIME-2", "S-LIFE-1"} <= verdicts.keys(), verdicts
    order = [case.get("name") for case in ET.parse(junit).iter("testcase")]
    assert set(order[-len(TIME_TESTS):]) == TIME_TESTS, order
    assert len(order) > len(TIME_TESTS), order
