"""The grading config: a small TOML or INI file, read with the standard
library only.  Every key is optional; an example is in docs/grading.md.

    [grade]                      # or [grade] in INI, same keys
    build = "make"
    server = "./echo-server {port}"
    client = "./echo-client {host} {port}"
    sides = "server,client"
    timeout_scale = 1.0
    listen_timeout = 10          # seconds for a server to listen, else all its clauses fail
    build_timeout = 300
    [points]                     # per clause: by level, or by clause id
    MUST = 2
    SHOULD = 1
    S-ECHO-1 = 5
    [limits]                     # see sandbox.Limits
    processes = 4096
"""

import configparser
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox

try:
    import tomllib
except ImportError:         # Python before 3.11 (Debian 12 has 3.11)
    tomllib = None


@dataclass
class Config:
    build: str = "make"
    server: str = "./echo-server {port}"
    client: str = "./echo-client {host} {port}"
    sides: tuple = ("server", "client")
    timeout_scale: float = 1.0
    listen_timeout: float = 10.0
    build_timeout: float = 300.0
    keep_bytes: int = 64 << 10      # of each log shown in the reports
    probe_file_mib: int = 1         # output a server may write while it is started alone
    suite_args: tuple = ()
    points: dict = field(default_factory=lambda: {"MUST": 2.0, "SHOULD": 1.0})
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)

    def points_for(self, clause_id, level):
        return float(self.points.get(clause_id, self.points.get(level, 0.0)))


def _sections(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        if tomllib is None:
            raise SystemExit("a TOML config needs Python 3.11 or later; use INI")
        return tomllib.loads(text)
    parser = configparser.ConfigParser()
    parser.optionxform = str        # clause ids keep their case
    parser.read_string(text, source=str(path))
    return {name: dict(parser[name]) for name in parser.sections()}


def _typed(default, value, where):
    """value converted to the type of the default it replaces."""
    try:
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else value
            return tuple(str(i).strip() for i in items if str(i).strip())
        return type(default)(value)
    except (TypeError, ValueError):
        raise SystemExit(f"config: {where} = {value!r}: expected a {type(default).__name__}")


def load(path=None):
    config = Config()
    if path is None:
        return config
    sections = _sections(Path(path))
    unknown = set(sections) - {"grade", "points", "limits"}
    if unknown:
        raise SystemExit(f"config {path}: unknown section(s) {', '.join(sorted(unknown))}")
    for key, value in sections.get("grade", {}).items():
        if key not in {f.name for f in dataclasses.fields(Config)} - {"points", "limits"}:
            raise SystemExit(f"config {path}: unknown key grade.{key}")
        setattr(config, key, _typed(getattr(config, key), value, f"grade.{key}"))
    for key, value in sections.get("limits", {}).items():
        if not hasattr(config.limits, key):
            raise SystemExit(f"config {path}: unknown key limits.{key}")
        setattr(config.limits, key, _typed(getattr(config.limits, key), value, f"limits.{key}"))
    for key, value in sections.get("points", {}).items():
        config.points[key] = _typed(0.0, value, f"points.{key}")
    bad = set(config.sides) - {"server", "client"}
    if bad or not config.sides:
        raise SystemExit(f"config {path}: sides must be server, client or both")
    return config
