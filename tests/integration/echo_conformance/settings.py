"""The suite's options, resolved once."""

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

BASE_TIMEOUT = 5.0          # seconds of silence before a wait gives up
VALGRIND_SLOWDOWN = 8.0     # memcheck runs programs many times slower
PROMPT = 1.0                # seconds for what must happen "at once"
SETTLE = 1.0                # seconds for a process to end by itself at cleanup
LONG_SILENCE = 40.0         # seconds of the time clauses' silence (L): beyond any idle cut


def _program(command):
    return command.split()[0]


def _beside_ini(command, config):
    """A command from an ini file with a relative program path (this
    repository's pytest.ini names build/echo-server) runs that program
    relative to the ini file, wherever pytest runs."""
    program = _program(command)
    if "/" not in program or Path(program).is_absolute():
        return command
    return shlex.quote(str(config.inipath.parent / program)) + command[len(program):]


@dataclass
class Settings:
    server_cmd: str | None
    client_cmd: str | None
    clients: int
    scale_connections: int      # --scale: 0 leaves S-SCALE-1 out
    scale: float
    strict: bool
    quick: bool                 # --quick: the S-TIME-* clauses left out
    valgrind_dir: Path | None

    @classmethod
    def from_config(cls, config, sources):
        """From config.option once options.resolve() has filled it;
        sources says where each value came from."""
        opt = config.option
        valgrind_dir = None
        if opt.valgrind:
            valgrind_dir = Path(opt.valgrind_logs).resolve()
        scale = opt.timeout_scale * (VALGRIND_SLOWDOWN if valgrind_dir else 1.0)
        commands = {side: getattr(opt, f"{side}_cmd") for side in ("server", "client")}
        for side, command in commands.items():
            if command and sources[f"{side}_cmd"] == "ini":
                commands[side] = _beside_ini(command, config)
        return cls(server_cmd=commands["server"], client_cmd=commands["client"],
                   clients=opt.clients, scale_connections=opt.scale or 0, scale=scale,
                   strict=opt.strict_should, quick=opt.quick,
                   valgrind_dir=valgrind_dir)

    def command(self, side):
        return self.server_cmd if side == "server" else self.client_cmd

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
    def long_silence(self):
        """L, scaled like the timeouts but for valgrind's slowdown: a timer
        or an idle cut in the program runs at the same pace under valgrind."""
        return LONG_SILENCE * self.scale / (VALGRIND_SLOWDOWN if self.valgrind_dir else 1.0)

    @property
    def settle(self):
        """Seconds given to a process to end by itself when nothing is
        judged any more (cleanup)."""
        return SETTLE * self.scale

    def missing_program(self, side):
        """The program that side's command names by a path and that does not
        exist (the reference, not built yet), or None."""
        command = self.command(side)
        if not command:
            return None
        program = Path(shlex.split(command)[0])
        return program if "/" in str(program) and not program.exists() else None

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
