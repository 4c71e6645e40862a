"""Bounded time for every test, whatever the program under test does.

Silence timeouts alone cannot bound a run: a program that keeps making slow
progress (a child that lingers a few seconds after each of thousands of
connections) restarts every silence clock.  So each test also has a budget
of duration, and the whole run one more.  Past a test's budget the test
fails, naming what it was still busy with; once the run's budget is spent,
the tests left are not judged.  Both are scaled with --timeout-scale."""

import signal
import time
from pathlib import Path

TEST_BUDGET = 60.0          # seconds for one test's setup or call
RUN_BUDGET = 300.0          # seconds for all the tests of one process

_HERE = Path(__file__).resolve().parent


class NotJudged(Exception):
    """A clause could not be judged: its verdict is "not judged", which
    for a MUST makes the run non-conforming, never a pass or a skip."""


class OverBudget(AssertionError):
    """A test ran past its duration budget."""


def _busy_with(frame):
    """What the interrupted code was doing, from the innermost frames of the
    suite that carry a `what` (the words every wait and transfer is given)."""
    steps = []
    while frame is not None and len(steps) < 3:
        where = Path(frame.f_code.co_filename).resolve()
        if _HERE in where.parents or where.parent == _HERE.parent:
            what = frame.f_locals.get("what")
            step = what if isinstance(what, str) else None
            if step and step not in steps:
                steps.append(step)
        frame = frame.f_back
    return "; within ".join(steps) or "no transfer or wait of the suite (the suite itself?)"


class Clock:
    """The run's clock: one per process (each xdist worker has its own)."""

    def __init__(self, scale):
        self.scale = scale
        self.started = time.monotonic()

    def left(self):
        return RUN_BUDGET * self.scale - (time.monotonic() - self.started)

    def arm(self, seconds, phase):
        """Raise OverBudget in the main thread after seconds (scaled), or
        NotJudged at once when the run has no time left.  Returns the
        seconds armed; disarm() must follow."""
        left = self.left()
        if left <= 0:
            raise NotJudged(f"the run's budget of {RUN_BUDGET * self.scale:.0f} s was spent "
                            f"before this test could {phase}: the earlier tests took it")
        budget = seconds * self.scale
        armed = min(budget, left)
        run_limited = armed < budget

        def expire(signo, frame):
            disarm()
            limit = ("the run's remaining budget" if run_limited else "its budget")
            raise OverBudget(f"the test ran over {limit} of {armed:.0f} s "
                             f"(while {phase}); the program kept it going without ever "
                             f"falling silent for the timeout. Still busy with: "
                             f"{_busy_with(frame)}")
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, armed)
        return armed


def disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def terminate_as_interrupt():
    """SIGTERM and SIGHUP (a grader's time limit, a closed terminal) end the
    run like Ctrl-C does, so that every process of the program under test
    is ended on the way out."""
    def interrupt(signo, frame):
        raise KeyboardInterrupt(f"signal {signal.Signals(signo).name}")
    for signo in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signo) in (signal.SIG_DFL, None):
            signal.signal(signo, interrupt)
