"""The suite's options.  Each has three spellings: a pytest flag
(--server-cmd), an ini setting of the same name (server_cmd, in the
[pytest] section of a project's pytest.ini) and an environment variable
(ECHO_CONFORMANCE_SERVER_CMD).  The flag wins over the variable, the
variable over the ini setting."""

import os
from dataclasses import dataclass

TRUE = ("1", "yes", "true", "on")


@dataclass(frozen=True)
class Option:
    flag: str
    kind: type
    default: object
    help: str
    metavar: str = None

    @property
    def dest(self):
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def env(self):
        return "ECHO_CONFORMANCE_" + self.dest.upper()

    def add(self, group, parser):
        more = {"action": "store_true"} if self.kind is bool else \
            {"type": self.kind, "metavar": self.metavar}
        group.addoption(self.flag, dest=self.dest, default=None,
                        help=f"{self.help} (ini: {self.dest}, environment: {self.env})", **more)
        parser.addini(self.dest, self.help)

    def source(self, config):
        """Where the value comes from: "flag", "env", "ini" or "default"."""
        if getattr(config.option, self.dest) is not None:
            return "flag"
        if os.environ.get(self.env):
            return "env"
        return "ini" if config.getini(self.dest) else "default"

    def value(self, config):
        source = self.source(config)
        if source == "flag":
            return getattr(config.option, self.dest)
        if source == "default":
            return self.default
        text = os.environ[self.env] if source == "env" else config.getini(self.dest)
        if self.kind is bool:
            return text.strip().lower() in TRUE
        return self.kind(text)


OPTIONS = (
    Option("--server-cmd", str, None,
           "server command line, {port} substituted; run without a shell", "CMD"),
    Option("--client-cmd", str, None,
           "client command line, {host} and {port} substituted; run without a shell",
           "CMD"),
    Option("--clients", int, 32,
           "simultaneous clients in the MUST concurrency tests (default 32)", "N"),
    Option("--timeout-scale", float, 1.0,
           "multiply every timeout (they measure silence, not duration)", "F"),
    Option("--scale", int, 0,
           "also judge S-SCALE-1: N connections held at once (default: not run)", "N"),
    Option("--quick", bool, False,
           "leave out the clauses that take long silences (S-TIME-*), for a quick "
           "iteration; such a run is never reported conforming"),
    Option("--strict-should", bool, False,
           "a SHOULD clause not met fails the run too, instead of warning"),
    Option("--only-clauses", str, None,
           "judge only these clauses, comma-separated (S-ECHO-1,S-REAP-2)", "IDS"),
    Option("--list-clauses", bool, False,
           "print the spec's clauses with the tests that check them, and exit"),
    Option("--clause-progress", bool, False,
           "print a line for each clause as soon as all its tests have run"),
    Option("--conformance-json", str, None,
           "write the verdict of every clause to FILE as JSON", "FILE"),
    Option("--valgrind", bool, False,
           "run server and client under valgrind memcheck (children traced) "
           "and judge S-MEM-*/C-MEM-* from the logs"),
    Option("--valgrind-logs", str, "valgrind-logs",
           "folder for the valgrind logs (default ./valgrind-logs)", "DIR"),
)


def resolve(config):
    """Every option's value, whatever its spelling, into config.option,
    where the rest of the suite reads it.  Returns where the server and
    client commands came from."""
    sources = {}
    for option in OPTIONS:
        sources[option.dest] = option.source(config)
        setattr(config.option, option.dest, option.value(config))
    return sources
