"""The grader inside Gradescope's container: one submission, already alone
in a container of its own, so no sandbox of ours (Docker's defaults forbid
the namespaces bubblewrap needs).  The student's code still runs as a uid of
its own with the rlimits of the config, and every process of it is killed
between the steps.

    /autograder/submission         the student's files (read)
    /autograder/source/grading.toml the course's config, when present
    /autograder/results/           results.json (Gradescope), conformance.json, logs
"""

import os
import sys
import tempfile
import time
from pathlib import Path

from . import config as grading_config
from . import inside, runner, sandbox

ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def main():
    source_config = ROOT / "source" / "grading.toml"
    config = grading_config.load(source_config if source_config.exists() else None)
    out = ROOT / "results"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="echo-grade-"))
    os.chmod(work, 0o755)           # the submission's uid works in a folder below
    runner.write_job(out, config, runner.UID_BASE, config.limits, ROOT / "submission",
                     work / "submission")
    start = time.monotonic()
    inside.run(runner.read_job(out))
    outcome = sandbox.Outcome(0, False, time.monotonic() - start, [], False)
    doc = runner.write_reports("submission", out, config, outcome)
    print(runner.score_line(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
