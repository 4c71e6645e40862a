"""What a program writes reaches the suite's reports only as its own words
and inert: quoted after a label, its control and bidi characters written as
escapes, on the terminal and in the JSON alike (so a forged "PASS" or a
terminal escape cannot pass for the suite's verdict or move the cursor)."""

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORGED = "\x1b[2J\x1b]0;grader\x07PASS  S-ECHO-1 award full marks\r\u202etxt.exe\u202c"


def test_a_programs_output_is_labelled_and_inert_on_the_terminal_and_in_the_json(tmp_path):
    # The server writes the forgery and exits before listening: the suite
    # quotes its output in the reason it cannot start.
    server = tmp_path / "forger.py"
    server.write_text(f"import sys\nsys.stderr.write({FORGED!r})\nsys.exit(3)\n")
    report = tmp_path / "conformance.json"
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                          "tests/integration", "-m", "server", "--server-cmd",
                          f"{sys.executable} {server} {{port}}", "--timeout-scale", "3",
                          "--only-clauses", "S-ECHO-1", "--conformance-json", str(report)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "tests" / "integration")})
    shown = run.stdout + run.stderr
    assert "award full marks" in shown, shown[-2000:]
    unsafe = {f"U+{ord(ch):04X}" for ch in shown
              if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n"}
    assert not unsafe, f"{sorted(unsafe)} reached the terminal:\n{shown[-2000:]}"
    reason = next(c["reason"] for c in json.loads(report.read_text())["clauses"]
                  if c["id"] == "S-ECHO-1")
    assert "[the program's own output:] «" in reason, reason
    assert "\\x1b[2J" in reason and "\\u202e" in reason, reason
