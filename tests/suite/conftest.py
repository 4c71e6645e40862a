"""Plumbing shared by the suite's own tests."""

import os
import signal

import pytest


@pytest.fixture
def runs():
    """Suite runs started by a test; any still running at its end is killed."""
    started = []
    yield started
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        p.stdout.close()
