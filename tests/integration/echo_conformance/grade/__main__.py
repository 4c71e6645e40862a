"""echo-conformance grade SUBMISSIONS_DIR --out RESULTS_DIR [--config FILE] [--jobs N]
[--cgroup-root DIR]"""

import argparse
import os
import signal
import sys

from . import cgroup
from . import config as grading_config
from . import runner


def _interrupt(signum, frame):
    # Once: a second signal (a supervisor's timeout and pkill both sending
    # SIGTERM) raised again inside the cleanup and cut it short, leaving the
    # running sandboxes to go on and their cgroups behind.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="echo-conformance grade",
        description="Build and judge every submission (one subdirectory each) in a sandbox; "
                    "reports in RESULTS_DIR. An interrupted run resumes where it stopped.")
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    parser.add_argument("--out", required=True, metavar="RESULTS_DIR")
    parser.add_argument("--config", metavar="FILE", help="grading config, .toml or .ini")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of CPUs)")
    parser.add_argument("--cgroup-root", metavar="DIR",
                        help="where the cgroup hierarchies are mounted (default: "
                             f"${cgroup.ROOT_ENV} or /sys/fs/cgroup); a cgroup2 mount means v2")
    args = parser.parse_args(argv)
    if args.jobs > runner.JOBS_PER_GRADER:
        parser.error(f"--jobs: at most {runner.JOBS_PER_GRADER}")
    if args.cgroup_root:
        os.environ[cgroup.ROOT_ENV] = args.cgroup_root
    config = grading_config.load(args.config)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        docs = runner.grade_all(args.submissions, args.out, config, args.jobs)
    except KeyboardInterrupt:
        print("echo-conformance grade: interrupted; run it again to resume", file=sys.stderr)
        return 130
    print(f"{len(docs)} submissions graded: {os.path.join(args.out, 'index.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
