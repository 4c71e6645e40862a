"""The suite's command-line options, resolved once."""

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from .spec import ROOT

REFERENCE_SERVER = "build/echo-server {port}"
REFERENCE_CLIENT = "build/echo-client {host} {port}"

BASE_TIMEOUT = 5.0          # seconds of silence before a wait gives up
VALGRIND_SLOWDOWN = 8.0     # memcheck runs programs many times slower
PROMPT = 1.0                # seconds for what must happen "at once"
SETTLE = 1.0                # seconds for a process to end by itself at cleanup


def _program(command):
    return command.split()[0]


def _at_root(command):
    """A reference command with its program found from the repository root,
    wherever pytest runs."""
    return shlex.quote(str(ROOT / _program(command))) + command[len(_program(command)):]


@dataclass
class Settings:
    server_cmd: str
    client_cmd: str
    server_given: bool
    client_given: bool
    clients: int
    scale: float
    strict: bool
    valgrind_dir: Path | None

    @classmethod
    def from_config(cls, config):
        opt = config.option
        valgrind_dir = None
        if opt.valgrind:
            valgrind_dir = Path(opt.valgrind_logs or "valgrind-logs").resolve()
        scale = opt.timeout_scale * (VALGRIND_SLOWDOWN if valgrind_dir else 1.0)
        return cls(server_cmd=opt.server_cmd or _at_root(REFERENCE_SERVER),
                   client_cmd=opt.client_cmd or _at_root(REFERENCE_CLIENT),
                   server_given=bool(opt.server_cmd), client_given=bool(opt.client_cmd),
                   clients=opt.clients, scale=scale, strict=bool(opt.strict),
                   valgrind_dir=valgrind_dir)

    @property
    def timeout(self):
        return BASE_TIMEOUT * self.scale

    @property
    def start_timeout(self):
        return 2 * self.timeout

    @property
    def prompt(self):
        """Seconds within which "at once" must happen (S-ECHO-3, S-ECHO-5,
        S-SIG-3): generous for loopback, where the reference answers in
        microseconds, yet far below the silence timeout."""
        return PROMPT * self.scale

    @property
    def settle(self):
        """Seconds given to a process to end by itself when nothing is
        judged any more (cleanup)."""
        return SETTLE * self.scale

    def missing_reference(self, side):
        """The reference program that side would run and that is not built, or None."""
        given = self.server_given if side == "server" else self.client_given
        if given:
            return None
        program = ROOT / _program(REFERENCE_SERVER if side == "server" else REFERENCE_CLIENT)
        return None if program.exists() else program

    def clear_valgrind_logs(self):
        """Remove the logs of an earlier run, which would otherwise be judged
        with this one's."""
        if self.valgrind_dir:
            for side in ("server", "client"):
                for log in (self.valgrind_dir / side).glob("*.log"):
                    log.unlink()

    def wrap(self, argv, side):
        """argv, run under valgrind memcheck when --valgrind asks for it.
        One log per process (%p), children included."""
        if not self.valgrind_dir:
            return argv
        logs = self.valgrind_dir / side
        logs.mkdir(parents=True, exist_ok=True)
        valgrind = shutil.which("valgrind") or "valgrind"
        return [valgrind, "--trace-children=yes", "--leak-check=full",
                "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                "--track-fds=yes", f"--log-file={logs}/%p.log", *argv]
