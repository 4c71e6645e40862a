"""Fixtures for the reference server's own tests: each test starts its
own build/echo-server on an ephemeral loopback port and stops its whole
process group afterwards, whatever happened.
"""
import resource

import pytest

import refkit


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a 2,000-connection storm, heavy for a shared machine")
    refkit.make_subreaper()
    # The cap test holds 2,000 sockets at once.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


@pytest.fixture
def start_server():
    """start_server(*args, wrapper=(), host=..., port=...) -> refkit.Server"""
    started = []

    def start(*args, **kwargs):
        server = refkit.Server(*args, **kwargs)
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()
