"""The grader's progress: a bar on a terminal, a plain line per submission
otherwise (a log, a CI job), and a time left that resumed submissions do
not distort."""

import io

from echo_conformance.grade.runner import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def graded(name, build_ok=True):
    return {"submission": name, "clauses": [{"verdict": "passed"}],
            "grading": {"build": {"ok": build_ok}, "limits_hit": [], "timed_out": False}}


def test_terminal_shows_one_redrawn_bar_with_counts():
    out = Terminal()
    p = Progress(3, out)
    p.started()
    p.finished(graded("alice", build_ok=False))
    text = out.getvalue()
    assert "\n" not in text, "the bar is redrawn in place until the end"
    last = text.rsplit("\r", 1)[1]
    assert "1/3 done, 0 running, 1 failed builds" in last, last


def test_bar_ends_with_a_newline_when_all_are_done():
    out = Terminal()
    p = Progress(1, out)
    p.started()
    p.finished(graded("alice"))
    assert out.getvalue().endswith("\n")


def test_not_a_terminal_gives_one_plain_line_per_submission():
    out = io.StringIO()
    p = Progress(2, out)
    p.finished(graded("alice"), skipped=True)
    p.started()
    p.finished(graded("bob"))
    lines = out.getvalue().splitlines()
    assert lines == ["[1/2] alice: resumed, 1 passed", "[2/2] bob: 1 passed"], lines
    assert "\r" not in out.getvalue()


def test_time_left_is_unknown_while_only_resumed_ones_are_done():
    p = Progress(10, io.StringIO())
    for name in "abc":
        p.finished(graded(name), skipped=True)
    assert p._eta() == "?"


def test_a_name_reaches_the_terminal_with_its_escapes_made_inert():
    # A results folder graded by an older grader keeps its raw name in
    # conformance.json; resumed, it must not clear the screen or retitle it.
    out = io.StringIO()
    Progress(1, out).finished(graded("\x1b]0;pwned\x07\x1b[2J\u202eevil"), skipped=True)
    assert out.getvalue() == "[1/1] \\x1b]0;pwned\\x07\\x1b[2J\\u202eevil: resumed, 1 passed\n"
