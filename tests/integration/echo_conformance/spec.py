"""The clauses of SPEC.md, read from the file itself so that the spec is the
one place where ids, levels, titles and hints are written."""

import re
from dataclasses import dataclass, field
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent / "SPEC.md"

_HEADING = re.compile(r"^### ([SC]-[A-Z]+-\d+) \((MUST|SHOULD)\): (.+)$")
_TESTS = re.compile(r"^- Tests: (.+)$")
_CAUSE = re.compile(r"^- Usual cause: (.+)$")


@dataclass
class Clause:
    id: str
    level: str
    title: str
    tests: list = field(default_factory=list)
    hint: str = ""

    @property
    def side(self):
        return "server" if self.id.startswith("S-") else "client"


def load(path=SPEC_PATH):
    """Clauses by id, in the order of the spec."""
    clauses = {}
    current = None
    last_item = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := _HEADING.match(line):
            current = Clause(m[1], m[2], m[3])
            clauses[current.id] = current
            last_item = None
        elif current is None:
            continue
        elif m := _TESTS.match(line):
            current.tests = re.findall(r"`(test_\w+)`", m[1])
            last_item = None
        elif m := _CAUSE.match(line):
            current.hint = m[1]
            last_item = "hint"
        elif last_item == "hint" and line.startswith("  "):
            # A hint continued on the next, indented line.
            current.hint += " " + line.strip()
        else:
            last_item = None
    return clauses
