#!/usr/bin/env python3
"""Line coverage of src/ from gcov, and the check that every line never run
is listed as unreachable, with the reason.

Usage: ci/coverage.py OBJDIR LIST SOURCE...
OBJDIR holds the .gcno/.gcda files of a --coverage build (ci/coverage.sh);
LIST is ci/coverage-unreachable.txt.  Prints, per source file and in all,
the lines of code, how many ran, how many did not and are listed, and every
line that did not run and is not listed.  Exits 1 when there is such a line,
or when an entry of LIST matches no line that did not run (the line runs
now, or is gone: the list must stay true).

LIST: one entry per line, four fields separated by tabs:
    FILE  FUNCTION  TEXT  REASON
An entry matches the lines of FILE (as given on the command line, say
src/server.c) inside FUNCTION whose text is TEXT, any run of blanks
counting as one space (a tab in the source is a space here): lines, not
line numbers, so that the list survives edits elsewhere in the file.  Where TEXT occurs more than once in FUNCTION, the
entry covers each occurrence that did not run.  # starts a comment line.
"""
import re
import subprocess
import sys
from pathlib import Path

# This tree's style puts a function's name at column 0, its type on the line above.
FUNCTION = re.compile(r"^([A-Za-z_]\w*)\(")


def gcov_lines(objdir, source):
    """(line number, function, count, text) for each line of code of source;
    count 0 for a line never run.  Run from the top of the tree, where the
    build named the sources."""
    done = subprocess.run(["gcov", "--stdout", "--object-directory", objdir, source],
                          capture_output=True, text=True, errors="replace", check=True)
    out = []
    function = None
    for line in done.stdout.splitlines():
        count, number, text = line.split(":", 2)
        if int(number) == 0:
            continue        # gcov's header lines
        if m := FUNCTION.match(text):
            function = m[1]
        count = count.strip()
        if count == "-":
            continue        # not code
        runs = 0 if count in ("#####", "=====") else int(count.rstrip("*"))
        out.append((int(number), function, runs, " ".join(text.split())))
    return out


def read_list(path):
    entries = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not all(f.strip() for f in fields):
            sys.exit(f"{path}:{number}: want FILE, FUNCTION, TEXT and REASON, tab-separated")
        entries[tuple(" ".join(f.split()) for f in fields[:3])] = (number, fields[3].strip())
    return entries


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__.split("\n\n")[1])
    objdir, listing, sources = argv[1], argv[2], argv[3:]
    entries = read_list(listing)
    used = set()
    unlisted = []
    totals = [0, 0, 0]
    print(f"{'file':<16} {'lines':>6} {'run':>6} {'listed':>7} {'unlisted':>9} {'coverage':>9}")
    for source in sources:
        code = gcov_lines(objdir, source)
        if not any(runs for _, _, runs, _ in code):
            unlisted.append(f"{source}: no line ran at all: no coverage data in {objdir}?")
        run = sum(1 for _, _, runs, _ in code if runs)
        listed = 0
        for number, function, runs, text in code:
            if runs:
                continue
            key = (source, function or "-", text)
            if key in entries:
                used.add(key)
                listed += 1
            else:
                unlisted.append(f"{source}:{number} ({function}): {text}")
        for i, n in enumerate((len(code), run, listed)):
            totals[i] += n
        print(f"{source:<16} {len(code):>6} {run:>6} {listed:>7} "
              f"{len(code) - run - listed:>9} {100 * run / max(1, len(code)):>8.1f}%")
    lines, run, listed = totals
    print(f"{'src/ in all':<16} {lines:>6} {run:>6} {listed:>7} {lines - run - listed:>9} "
          f"{100 * run / max(1, lines):>8.1f}%")
    stale = [f"{listing}:{entries[key][0]}: {' / '.join(key)}"
             for key in entries if key not in used]
    for line in unlisted:
        print(f"coverage: never run and not listed: {line}")
    for line in stale:
        print(f"coverage: listed, but no such line goes unrun (it runs now, or is gone): {line}")
    if unlisted or stale:
        print(f"coverage: FAILED: {len(unlisted)} line(s) never run and not listed in "
              f"{listing}, {len(stale)} entry(ies) matching nothing")
        return 1
    print(f"coverage: every line of code either ran or is listed in {listing} with its reason")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
