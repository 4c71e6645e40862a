"""A class of submissions for the grader, from this repository's programs:
the correct designs and one-defect mutants of tests/mutants/expect.tsv, and
the hostile programs of tests/grading/hostile/.  Each submission is a
folder with sources and a Makefile, built by the grader's default `make`.

    make_class.py DIR [N] [--only NAME,...]

Writes DIR/NAME/ for N submissions (default: one per program; beyond that
the list is repeated, as students hand in alike programs), and
DIR-expected.json beside it: per submission, the side the defect is on and the
clauses that must not pass (all others must pass)."""

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "tests" / "mutants"
HOSTILE = Path(__file__).resolve().parent / "hostile"
LIBRARY = ["echo.c", "net.c", "reap.c", "opt.c"]
# A row of expect.tsv is used when its program is built from one source file
# here; valgrind rows need options a class grading does not give.
SKIP = {"reads-past-buffer"}
SERVER_CLAUSES_NEVER_LISTENING = "all-server"     # every server clause fails

MAKEFILE = """\
CFLAGS = -O1 -I.
all: echo-server echo-client
echo-server: {server}
\t$(CC) $(CFLAGS) -o $@ {server} -pthread
echo-client: {client}
\t$(CC) $(CFLAGS) -o $@ {client} -pthread
"""


def _source(command):
    """The source file of an expect.tsv command, or None for a peer."""
    program = command.split()[0]
    name = program.rsplit("/", 1)[-1]
    if program.startswith("{build}/mutants/"):
        return MUTANTS / f"{name}.c"
    if program.startswith("{build}/demo/"):
        return ROOT / "demo" / f"{name}.c"
    if program in ("{build}/echo-server", "{build}/echo-client"):
        return ROOT / "src" / f"{name.removeprefix('echo-')}.c"
    return None


def programs():
    """(name, side, source, clauses that must not pass) for every usable row."""
    rows = []
    for line in (MUTANTS / "expect.tsv").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, side, expect, clauses, _options, command = line.split("\t")
        source = _source(command)
        if source is None or name in SKIP:
            continue
        bad = [] if expect == "pass" or clauses == "-" else clauses.split(",")
        rows.append((name, side, source, bad))
    hostile = {"fork-bomb": SERVER_CLAUSES_NEVER_LISTENING,
               "busy-loop": SERVER_CLAUSES_NEVER_LISTENING,
               "stderr-flood": SERVER_CLAUSES_NEVER_LISTENING,
               "never-listens": SERVER_CLAUSES_NEVER_LISTENING,
               "build-fails": "all"}
    for name, bad in hostile.items():
        rows.append((name, "server", HOSTILE / f"{name}.c", [bad]))
    return rows


def _files(source):
    """Sources one program needs: the library, and the mutants' plumbing
    unless it is a reference program."""
    files = [ROOT / "src" / f for f in LIBRARY]
    files += [ROOT / "src" / h.name for h in (ROOT / "src").glob("*.h")]
    if source.parent != ROOT / "src":
        files += [ROOT / "plumbing" / "plumbing.c", ROOT / "plumbing" / "plumbing.h"]
    return files


def write_submission(folder, side, source):
    """One submission: the program under test on its side, the reference on the other."""
    folder.mkdir(parents=True)
    server = source if side == "server" else ROOT / "src" / "server.c"
    client = source if side == "client" else ROOT / "src" / "client.c"
    for f in {*_files(server), *_files(client)}:
        shutil.copy(f, folder / f.name)
    for role, f in (("server", server), ("client", client)):
        shutil.copy(f, folder / f"{role}-main.c")

    def objects(f):
        plumbing = ["plumbing.c"] if f.parent != ROOT / "src" else []
        return " ".join([f"{'server' if f == server else 'client'}-main.c", *plumbing, *LIBRARY])
    (folder / "Makefile").write_text(MAKEFILE.format(server=objects(server),
                                                     client=objects(client)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("count", nargs="?", type=int)
    parser.add_argument("--only", help="comma-separated program names")
    args = parser.parse_args()
    rows = programs()
    if args.only:
        wanted = args.only.split(",")
        rows = [r for r in rows if r[0] in wanted]
    count = args.count or len(rows)
    out = Path(args.dir)
    out.mkdir(parents=True)
    expected = {}
    for i in range(count):
        name, side, source, bad = rows[i % len(rows)]
        sub = name if i < len(rows) else f"{name}-{i // len(rows) + 1}"
        write_submission(out / sub, side, source)
        expected[sub] = {"program": name, "side": side, "not_passing": bad}
    (out.parent / f"{out.name}-expected.json").write_text(json.dumps(expected, indent=2))


if __name__ == "__main__":
    main()
