"""Hostile submission names: each a folder name a student can hand in (an
archive, a git checkout, a classroom export keeps it), with what it attacks
where the grader shows names.  test_grade.py grades a class of them.  No
name holds a "/", which no folder name can."""

# (folder name as bytes, what it attacks)
NAMES = [
    (b"caf\xe9-latin1", "not UTF-8: the reports, written as UTF-8, could not hold it"),
    (b"index.html", "the class page's own name: its results folder would take the page's place"),
    (b"results.csv", "the gradebook's own name"),
    (b"javascript:alert(document.domain)", "a live link on the page"),
    (b"a#b?c=d", "a fragment and a query that cut the log links short"),
    (b'=HYPERLINK("mailto:x@grader.invalid","open")', "a formula in results.csv"),
    (b"+1-1", "a formula in results.csv, by its other first characters"),
    (b"\x1b]0;pwned\x07\x1b[2Jescapes", "terminal escapes on the grader's terminal"),
    (b"\xe2\x80\xaegnp.exe", "a right-to-left override that reverses what follows"),
    (b"<img src=x onerror=alert(1)>", "markup in the page"),
]

# A symbolic link at the top of the submissions folder, and where it points:
# never followed (it may lead anywhere on the grader's machine).
LINK = b"linked"
