"""The conformance suite as a pytest plugin: its options, hooks, fixtures
and clause report.  Loaded by its pytest11 entry point once installed:

    pytest -p echo_conformance --server-cmd 'PROG {port}'
    pytest -p echo_conformance --client-cmd 'PROG {host} {port}'

runs the suite's tests (they ship in this package) from any folder, beside
a project's own.  The plugin does nothing until a server or client command
is set (or --list-clauses), so having it installed changes no other test
run.  See SPEC.md (in this package) for the clauses and
tests/integration/README.md for the options.

Only pytest's public API, as old as pytest 6.2 (the oldest the suite
supports: Ubuntu 22.04's; Debian 12 has 7.2, Ubuntu 24.04 7.4, Debian 13
8.3)."""

import os
import resource
import subprocess
from pathlib import Path

import pytest

from echo_conformance import fakeservers as fake
from echo_conformance.client import ClientRun
from echo_conformance import budget, net, options, procfs, procs, report, spec
from echo_conformance.program import StartError
from echo_conformance.server import DESCRIPTOR_LIMIT, Server, ServerGone
from echo_conformance.settings import Settings
from echo_conformance.silence import Silence

CLAUSES = spec.load()
TESTS = Path(__file__).resolve().parent / "tests"
# Where the tests are in the source tree, from its top.
IN_SOURCE_TREE = Path("tests", "integration", "echo_conformance", "tests")
# Test function name -> the clause that lists it.
_TEST_CLAUSE = {name: c.id for c in CLAUSES.values() for name in c.tests}
SIDES = ("server", "client")


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "echo conformance suite (see SPEC.md)")
    for option in options.OPTIONS:
        option.add(group, parser)


def _settings(config):
    """The options resolved (flag, environment, ini), once per process: the
    xdist controller needs them in pytest_cmdline_main, its workers never
    run that hook."""
    if not hasattr(config, "conformance_settings"):
        sources = options.resolve(config)
        config.conformance_settings = Settings.from_config(config, sources)
    return config.conformance_settings


def _active(config):
    settings = _settings(config)
    return bool(settings.server_cmd or settings.client_cmd or config.option.list_clauses) \
        and _suite_in_run(config)


def _suite_in_run(config):
    """Whether this run has the suite's tests: named by an argument (this
    source tree's runs, the echo-conformance command) or joined to another
    project's run.  A run of the source tree the package sits in
    (tests/integration/echo_conformance) that names other tests of that
    tree, tests/reference say, leaves the plugin idle although its
    pytest.ini names the reference programs."""
    if not hasattr(config, "conformance_joins"):
        config.conformance_joins = _joins(config)
    return config.conformance_joins is not None


def _joins(config):
    """None when the suite's tests stay out of the run, False when an
    argument covers them already, True when they are to join it.
    Arguments that name test files or single tests choose exactly what
    runs: then nothing joins."""
    here = config.invocation_params.dir
    for arg in config.args:
        path = (here / arg.split("::")[0]).resolve()
        if path == TESTS or path in TESTS.parents or TESTS in path.parents:
            return False
        if "::" in arg or path.is_file():
            return None
    rooted_in_source_tree = (config.rootpath / IN_SOURCE_TREE).resolve() == TESTS
    return None if rooted_in_source_tree else True


def _is_worker(config):
    return hasattr(config, "workerinput")


def _one_process(config):
    """The tests run here, one after another: no xdist workers."""
    return not _is_worker(config) and not getattr(config.option, "numprocesses", None)


def pytest_configure(config):
    config.addinivalue_line("markers", "server: a test of the server (needs --server-cmd "
                                       "or the reference server)")
    config.addinivalue_line("markers", "client: a test of the client (needs --client-cmd "
                                       "or the reference client)")
    config.addinivalue_line("markers", "clause(id): the SPEC.md clause the test checks")
    config.addinivalue_line("markers", "budget(seconds): the test's duration budget, "
                                       "when it needs more than the default")
    # Known even without pytest-xdist, so that --strict (strict markers) accepts it.
    config.addinivalue_line("markers", "xdist_group(name): tests xdist keeps on one worker")
    if not _active(config):
        return
    _collect_own_tests(config)
    if not _is_worker(config):
        _require_programs(config)
        config.conformance_settings.clear_valgrind_logs()
        config.pluginmanager.register(ClauseReport(config), "conformance-report")
        if _one_process(config):
            config.pluginmanager.register(SilenceBeside(), "conformance-silence")
    # Many connections at once need descriptors (the suite's own: the
    # programs it starts get the limit it was given back, procs.spawn);
    # orphans need a parent.
    procs.raise_own_descriptor_limit()
    procs.become_subreaper()
    budget.terminate_as_interrupt()
    config.conformance_clock = budget.Clock(config.conformance_settings.scale)


def _collect_own_tests(config):
    """The suite's tests join another project's run, so that `pytest -p
    echo_conformance --server-cmd ...` runs them from anywhere."""
    if config.conformance_joins:
        config.args.append(str(TESTS))


def _require_programs(config):
    """Fail at once, in plain words, when a program named by its path does
    not exist (the reference, not built yet).  Only the obvious -m
    selections are read here; any other selection still gets the same
    message from the fixture."""
    if config.option.collectonly or config.option.list_clauses:
        return
    settings = config.conformance_settings
    selected = (config.option.markexpr or "").strip()
    for side, other in zip(SIDES, reversed(SIDES)):
        if selected != other and (missing := settings.missing_program(side)):
            raise pytest.UsageError(_missing_message(side, missing))


def _missing_message(side, missing):
    args = "{port}" if side == "server" else "{host} {port}"
    return (f"the {side} program {missing} does not exist (the reference: run `make` "
            f"first), or test another program with -m {side} --{side}-cmd 'PROG {args}'")


def pytest_unconfigure(config):
    # The controller too: it adopts what a worker leaves behind when it exits.
    if _active(config):
        procs.end_everything()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if _active(config) and config.option.list_clauses:
        # Collection only, in this process: no xdist workers for a listing.
        config.option.numprocesses = None
        config.option.dist = "no"


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """With --list-clauses, the collected tests are listed under their
    clauses instead of run (a collection error still ends the run as
    pytest's own loop ends it)."""
    config = session.config
    if not (_active(config) and config.option.list_clauses) or session.testsfailed:
        return None
    _list_clauses(config, session)
    return True


def _list_clauses(config, session):
    tests = {}
    for item in session.items:
        tests.setdefault(_clause_id(item), []).append(item.nodeid)
    sides = {CLAUSES[cid].side for cid in tests if cid}
    write = config.get_terminal_writer().line
    for c in CLAUSES.values():
        if c.id not in tests and (c.tests or c.side not in sides):
            continue    # deselected (-m, -k)
        write(f"{c.id:<12} {c.level:<6}  {c.title}")
        for nodeid in tests.get(c.id, ["(judged from the valgrind logs with --valgrind)"]):
            write(f"    {nodeid}")


def _path(item):
    """The test's file: Node.path is pytest 7's, 6.2 has only fspath."""
    return Path(getattr(item, "path", None) or item.fspath)


def _clause_id(item):
    """The clause a test of this suite checks; None for any other test (a
    project's own, beside the suite)."""
    if TESTS not in _path(item).parents:
        return None
    marker = item.get_closest_marker("clause")
    return marker.args[0] if marker else None


def _only_clauses(config):
    """The clause ids --only-clauses names, checked against the spec."""
    wanted = {c.strip().upper() for c in (config.option.only_clauses or "").split(",")
              if c.strip()}
    if unknown := sorted(wanted - CLAUSES.keys()):
        raise pytest.UsageError(f"--only-clauses: no such clause in SPEC.md: "
                                f"{', '.join(unknown)}")
    return wanted


# Clauses judged only when asked for, by the setting that asks.
OPT_IN = {"S-SCALE-1": "scale_connections"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every server or client test cites one clause of SPEC.md, on the same
    side; the clause id becomes a keyword so that `-k S-REAP-2` selects it.
    A side with no command to test is left out, as are the clauses
    --only-clauses does not name."""
    if not _active(config):
        if any(TESTS in _path(item).parents for item in items):
            raise pytest.UsageError("the conformance suite's tests need a program to "
                                    "test: --server-cmd 'PROG {port}' or --client-cmd "
                                    "'PROG {host} {port}'")
        return
    _label(items)
    settings = _settings(config)
    sides = {side for side in SIDES if settings.command(side)} or set(SIDES)
    only = _only_clauses(config)
    kept, dropped = [], []
    for item in items:
        cid = _clause_id(item)
        keep = cid is None or (CLAUSES[cid].side in sides and (not only or cid in only)
                               and (cid not in OPT_IN or getattr(settings, OPT_IN[cid]))
                               and not (settings.quick and report.is_long(cid)))
        (kept if keep else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # The long clauses go on beside the rest, so that the run grows by their
    # length only.  Under xdist they come first, so that one worker takes
    # them before anything else; in one process their silence starts with
    # the run (SilenceBeside) and their tests come last.
    last = _one_process(config)
    items[:] = sorted(kept, key=lambda item: report.is_long(_clause_id(item)) == last)


def _label(items):
    for item in items:
        if TESTS not in _path(item).parents:
            continue
        side = "server" if item.get_closest_marker("server") else (
            "client" if item.get_closest_marker("client") else None)
        if side is None:
            continue
        cid = _clause_id(item)
        clause = CLAUSES.get(cid)
        if clause is None or clause.side != side:
            raise pytest.UsageError(f"{item.nodeid} cites clause {cid!r}, which is not a "
                                    f"{side} clause of SPEC.md")
        item.user_properties.append(("clause", cid))
        item.user_properties.append(("level", clause.level))
        item.extra_keyword_matches.add(cid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Setup (a module's shared run, a server's start) and the test itself
    each run within the test's duration budget; teardown bounds its own
    waits.  Arming raises NotJudged when the run's budget is spent, which
    pytest reports as this test's setup failing."""
    yield from _within_budget(item, "set up")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _within_budget(item, "run")


def _within_budget(item, phase):
    if _clause_id(item) is None:
        yield
        return
    marker = item.get_closest_marker("budget")
    item.config.conformance_clock.arm(marker.args[0] if marker else budget.TEST_BUDGET, phase)
    try:
        yield
    finally:
        budget.disarm()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Failures carry their reason in words.  A clause that could not be
    judged (or a test that skipped) is "not judged": a failure for a MUST,
    never a silent skip.  A SHOULD clause's failure becomes a warning (an
    xfail), unless --strict."""
    rep = (yield).get_result()
    cid = _clause_id(item)
    if cid is None or not (rep.failed or rep.skipped):
        return
    if rep.skipped and hasattr(rep, "wasxfail"):
        return
    not_judged = rep.skipped or (call.excinfo is not None
                                 and call.excinfo.errisinstance(budget.NotJudged))
    if rep.skipped:
        reason = rep.longrepr[2].removeprefix("Skipped: ") if isinstance(rep.longrepr, tuple) \
            else str(rep.longrepr)
    else:
        reason = report.plain_reason(call.excinfo)
    rep.user_properties = [*rep.user_properties, ("reason", reason),
                           ("judged", "no" if not_judged else "yes")]
    if call.excinfo is not None and call.excinfo.errisinstance(ServerGone):
        rep.user_properties.append(("server_gone", reason))
    if CLAUSES[cid].level == "SHOULD" and not item.config.conformance_settings.strict:
        what = "not judged" if not_judged else "not met"
        rep.outcome = "skipped"
        rep.wasxfail = f"{report.SHOULD_PREFIX} {cid} {what} (warning): {reason}"
    else:
        rep.outcome = "failed"
        if not_judged:
            rep.longrepr = f"{cid} NOT JUDGED: {reason}"


class ClauseReport:
    """Gathers outcomes by clause where reports arrive (the xdist controller,
    or the only process) and writes the verdicts at the end."""

    def __init__(self, config):
        self.config = config
        self.settings = config.conformance_settings
        self.recorder = report.Recorder(CLAUSES)
        self.verdicts = []
        self.ended = ""             # why the run did not complete; "" when it did
        self.selected = set()       # clause ids of the tests selected to run
        self.interrupted = None     # what interrupted the run, once something did
        self.crashes = []           # xdist workers that died

    def pytest_sessionstart(self, session):
        # Until the run reports, its JSON says it has not: a run killed
        # outright (SIGKILL, or a signal it does not handle) leaves that
        # behind, never an earlier run's verdict or a missing file.
        self._write_json(report.unfinished_json(self.settings))

    def _write_json(self, text):
        if path := self.config.option.conformance_json:
            Path(path).write_text(text, encoding="utf-8")

    def pytest_keyboard_interrupt(self, excinfo):
        # Ctrl-C, or SIGTERM/SIGHUP turned into one (budget.terminate_as_interrupt).
        self.interrupted = str(excinfo.value) or "Ctrl-C"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        if error:
            why = " ".join(str(error).split())
            self.crashes.append(f"worker {node.gateway.id} crashed ({why})")

    def pytest_runtest_logreport(self, report):
        self.recorder.add(report)
        if self.config.option.clause_progress and report.when == "teardown":
            self._progress(report.nodeid)

    # With --clause-progress, a line for each clause once all its selected
    # tests have run.  The selection is known where tests are collected:
    # here, or on the xdist workers, which report the ids they collected.
    def pytest_collection_finish(self, session):
        self._expect(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        if not hasattr(self, "pending"):
            self._expect(ids)

    def _expect(self, nodeids):
        self.pending = {}
        for nodeid in nodeids:
            if cid := _TEST_CLAUSE.get(nodeid.split("::")[-1].split("[")[0]):
                self.pending.setdefault(cid, set()).add(nodeid)
        self.selected = set(self.pending)
        # A server gone after any test fails S-RES-4 only when the selection
        # (-k, --only-clauses) keeps that clause, as for every other clause.
        self.recorder.judge_gone = report.GONE_CLAUSE in self.pending

    def _progress(self, nodeid):
        cid = _TEST_CLAUSE.get(nodeid.split("::")[-1].split("[")[0])
        waiting = getattr(self, "pending", {}).get(cid)
        if not waiting or nodeid not in waiting:
            return
        waiting.discard(nodeid)
        if not waiting:
            verdict = next(v for v in self.recorder.verdicts() if v.clause.id == cid)
            self.config.get_terminal_writer().line(report.progress_line(verdict))

    def pytest_sessionfinish(self, session):
        if self.settings.valgrind_dir:
            self.recorder.extra.update(report.valgrind_verdicts(
                CLAUSES, self.settings.valgrind_dir, self.settings.strict))
        verdicts = self.recorder.verdicts()
        self.ended = self._why_incomplete(session, verdicts)
        self._write_json(report.to_json(verdicts, self.settings, self.ended))
        if all(v.verdict == report.NOT_RUN for v in verdicts):
            return
        self.verdicts = verdicts
        if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
            with open(summary, "a", encoding="utf-8") as f:
                f.write(report.markdown(verdicts, self.settings, self.ended))
        if not report.conforming(verdicts, self.settings.strict, self.ended) \
                and session.exitstatus == 0:
            session.exitstatus = 1      # a failed valgrind verdict under --strict, a lost clause

    def _why_incomplete(self, session, verdicts):
        """Why the run ended before judging all it was asked to, in words;
        "" when it judged everything.  Such a run is never conforming."""
        if self.interrupted is not None or session.exitstatus == pytest.ExitCode.INTERRUPTED:
            return f"interrupted ({self.interrupted or 'by pytest'})"
        if session.exitstatus == pytest.ExitCode.INTERNAL_ERROR:
            return "pytest stopped with an internal error"
        if self.crashes:
            return "; ".join(self.crashes)
        missed = [v.clause.id for v in verdicts
                  if v.verdict == report.NOT_RUN and v.clause.id in self.selected]
        if missed:
            return (f"{len(missed)} selected clause(s) never ran (the run stopped "
                    f"early): {', '.join(missed)}")
        if all(v.verdict == report.NOT_RUN for v in verdicts):
            return "no clause was judged"
        return ""

    def pytest_terminal_summary(self, terminalreporter):
        if not self.verdicts:
            return
        terminalreporter.section("conformance by clause (SPEC.md)")
        for line in report.terminal_lines(self.verdicts, self.settings.strict, self.ended,
                                          self.settings.quick):
            terminalreporter.line(line)
        if self.settings.valgrind_dir:
            terminalreporter.line(f"valgrind logs: {self.settings.valgrind_dir}")


# Fixtures.

@pytest.fixture(scope="session")
def settings(pytestconfig):
    return pytestconfig.conformance_settings


@pytest.fixture
def timeout(settings):
    """Seconds of silence after which a wait gives up."""
    return settings.timeout


def _start_server(settings, log_dir, port=None, nofile=None, gated=False):
    """A started server; a port taken meanwhile by someone else is retried."""
    if missing := settings.missing_program("server"):
        pytest.fail(_missing_message("server", missing), pytrace=False)
    for attempt in range(3):
        chosen = port or net.free_port()
        srv = Server(settings.server_cmd, chosen, settings,
                     log_dir / f"server-{chosen}-{attempt}.log", nofile, gated)
        try:
            return srv.start()
        except StartError as e:
            srv.stop()
            taken = any(s.inode not in srv.listen_inodes for s in procfs.listeners(chosen))
            if port is None and attempt < 2 and taken:
                continue
            pytest.fail(str(e), pytrace=False)
    raise AssertionError("unreachable: the last attempt returns or fails")


@pytest.fixture(autouse=True)
def no_orphan_survives(request):
    """After every test of the suite, end the orphans the suite adopted
    from the program under test, so that none outlives the test, whatever
    the program did."""
    yield
    if _clause_id(request.node) is not None:
        silence = getattr(request.config, "conformance_silence", None)
        procs.end_adopted(request.config.conformance_settings.settle,
                          keep=silence.pids() if silence else ())


def _check_still_running(srv):
    """A server that died during a test and was never stopped by it has
    failed that test, whatever the test itself checked."""
    if not srv.stopping and (why := srv.gone("the test")):
        raise ServerGone(why)


def _one_server(settings, log_dir, nofile=None, gated=False):
    srv = _start_server(settings, log_dir, nofile=nofile, gated=gated)
    yield srv
    try:
        _check_still_running(srv)
    finally:
        srv.stop()


@pytest.fixture
def server(settings, tmp_path):
    """The server under test, started on a free port; stopped with its whole tree."""
    yield from _one_server(settings, tmp_path)


@pytest.fixture
def server_with_few_descriptors(settings, tmp_path):
    """The server under test, started with a descriptor limit of
    server.DESCRIPTOR_LIMIT (or the suite's hard limit, if lower), for
    Server.use_up_descriptors()."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    yield from _one_server(settings, tmp_path, min(DESCRIPTOR_LIMIT, hard))


@pytest.fixture
def server_with_fork_gate(settings, tmp_path):
    """The server under test, its fork() and clone() calls under the
    suite's control (server.gate, a forkgate.ForkGate)."""
    yield from _one_server(settings, tmp_path, gated=True)


def _server_starter(settings, log_dir):
    started = []

    def start(port=None):
        srv = _start_server(settings, log_dir, port)
        started.append(srv)
        return srv
    yield start
    for srv in reversed(started):
        srv.stop()


@pytest.fixture
def start_server(settings, tmp_path):
    """Start another server (for instance on the port of a stopped one)."""
    yield from _server_starter(settings, tmp_path)


@pytest.fixture(scope="module")
def start_module_server(settings, tmp_path_factory):
    """Start a server shared by the tests of one module."""
    yield from _server_starter(settings, tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="session")
def long_silence(pytestconfig):
    """The time clauses' silence (silence.Silence), over but for its last
    window: begun with the run in one process, here under xdist."""
    silence = getattr(pytestconfig, "conformance_silence", None) or _begin_silence(pytestconfig)
    try:
        yield silence.wait()
    finally:
        silence.stop()


def _begin_silence(config):
    settings = config.conformance_settings
    config.conformance_silence = Silence(settings).begin(
        lambda log_dir: _start_server(settings, log_dir))
    return config.conformance_silence


class SilenceBeside:
    """In one process, the time clauses' silence begins before the first
    test, so that it passes while the others run."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session):
        config = session.config
        wanted = not (session.testsfailed or config.option.collectonly
                      or config.option.list_clauses) \
            and any(report.is_long(_clause_id(item)) for item in session.items)
        if wanted:
            _begin_silence(config)
        try:
            yield
        finally:
            if wanted:
                config.conformance_silence.stop()


@pytest.fixture
def activity():
    """Bytes moved by the client or the fake servers of one test."""
    return fake.Activity()


@pytest.fixture
def fake_server(settings, activity):
    """Start a fake server with a behaviour from echo_conformance.fakeservers."""
    servers = []

    def start(behaviour):
        # Patient: the client's silence timeout must expire first, so that a
        # client waiting for ever is caught hanging, not rescued by a close.
        s = fake.FakeServer(behaviour, activity, 3 * settings.timeout)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def run_client(settings, activity, fake_server):
    """Run the client command against a port; stopped at teardown, before
    the fake servers (a stopping fake server waits for its client)."""
    if missing := settings.missing_program("client"):
        pytest.fail(_missing_message("client", missing), pytrace=False)
    runs = []

    def run(port, stdin=subprocess.PIPE, **how):
        c = ClientRun(settings, port, stdin, activity, **how)
        runs.append(c)
        return c
    yield run
    for c in runs:
        c.stop()
