#!/usr/bin/python3
"""The zombies demo: the classic text's echo server grown stage by stage.

For each stage (demo/stage1.c .. stage4.c), then the reference server: start
it on a free port, run the five-connection client (echo-client -n 5) with one
line of input, let the client end, show the server's process tree read from
/proc (zombies marked) and the conformance suite's verdict on the clauses the
story is about.  See docs/zombies.md for what each step shows and why.

Every process the demo starts is ended by pid when its stage is over, and on
Ctrl-C.  The demo makes itself a child subreaper, so the children a dying
server leaves behind come to it rather than to init, and are ended too.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

# The suite's package and tests/mutants/verdict.py, through PYTHONPATH
# (make sets it).
import verdict
from echo_conformance import procfs, procs
from echo_conformance.program import Program, StartError

ROOT = Path(__file__).resolve().parents[1]

# The stages in order: name, program (under the build directory), what it is.
STAGES = [
    ("stage1", "demo/stage1", "fork per connection; nobody reaps the children"),
    ("stage2", "demo/stage2", "SIGCHLD handler calls wait() once; accept() EINTR is fatal"),
    ("stage3", "demo/stage3", "accept() retried after EINTR; the handler still waits once"),
    ("stage4", "demo/stage4", "the handler loops waitpid(-1, ..., WNOHANG)"),
    ("reference", "echo-server", "the kit's reference server (src/server.c)"),
]

# The clauses the story is about: zombies (S-REAP-1), EINTR from accept()
# (S-SIG-1), coalesced signals (S-REAP-2), a handler that blocks (S-SIG-3).
STORY_CLAUSES = ["S-REAP-1", "S-REAP-2", "S-SIG-1", "S-SIG-3"]

LINE = b"hello, zombies\n"
CONNECTIONS = 5
# The five children end at nearly the same instant, but not always close
# enough for their signals to merge: up to this many rounds of the client,
# until something is left behind.
ROUNDS = 3
SHOW_LINES = 6     # of what the server says on stderr
READY = re.compile(r"listening on \S+:(\d+)$", re.M)


class Paint:
    """ANSI colour, only on a terminal and only without NO_COLOR."""

    def __init__(self, stream):
        self.on = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text, code):
        return f"\033[{code}m{text}\033[0m" if self.on else text

    def bold(self, text):
        return self(text, "1")

    def red(self, text):
        return self(text, "31")

    def green(self, text):
        return self(text, "32")


def row(p):
    """What ps shows of the Proc p: pid, parent, state and command line,
    "[comm] <defunct>" for a zombie, whose command line the kernel has
    already dropped."""
    cmd = procfs.cmdline(p.pid)
    if p.zombie or not cmd:
        cmd = f"[{procfs.comm(p.pid)}]" + (" <defunct>" if p.zombie else "")
    return {"pid": p.pid, "ppid": p.ppid, "stat": p.state, "cmd": cmd}


def tree(root):
    """root and its descendants, parents before children, as rows."""
    everyone = procfs.all_procs()
    if root not in everyone:
        return []
    found, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        found.append(row(everyone[pid]))
        todo += sorted(c for c, p in everyone.items() if p.ppid == pid and c != pid)
    return found


class Server(Program):
    """A stage's server on a port it chose (its argument 0), read from the
    "listening on" line it writes first; what it says kept in a file."""

    def __init__(self, argv, timeout):
        super().__init__(argv + ["0"])
        self.spawn()
        ready = self.wait_for_line(READY, timeout)
        if not ready:
            # Read before stop(), which removes the log.
            why = f"{shown(argv)} did not start: {self.output()!r}"
            self.stop()
            raise StartError(why)
        self.port = int(ready[1])

    @property
    def lines(self):
        return self.log().splitlines()

    def stop(self):
        """End the server and every process below it or adopted from it, at once."""
        self.end(0)


def shown(argv):
    """argv as a command line, with paths relative to the current directory
    when they are below it (build/demo/stage1 rather than /home/...)."""
    def short(arg):
        path = os.path.relpath(arg) if os.path.isabs(arg) else arg
        return arg if path.startswith("..") else path
    return " ".join(short(a) for a in argv)


def run_client(client, server, timeout):
    """One round of the five-connection client: one line in, then EOF.

    The client closes its five connections when its input ends.  The input
    is held open until the server has forked a child for each connection
    and sits in accept() again, the moment the text describes: on a busy
    machine the children could otherwise end while the server is still
    forking, their signals merge, the handler runs outside accept(), and
    stage 2 lives on with zombies instead of dying of EINTR."""
    argv = [client, "-n", str(CONNECTIONS), "127.0.0.1", str(server.port)]
    inp, feed = os.pipe()
    try:
        proc = subprocess.Popen(argv, stdin=inp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    finally:
        os.close(inp)
    try:
        os.write(feed, LINE)
        wait_in_accept(server, CONNECTIONS, timeout)
    finally:
        os.close(feed)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"argv": argv, "status": None, "stdout": "", "stderr": "timed out"}
    return {"argv": argv, "status": proc.returncode,
            "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace").strip()}


def wait_in_accept(server, children, limit):
    """Wait, at most limit seconds, until the server has this many running
    children and is blocked waiting for a connection (or is gone)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and server.popen.poll() is None:
        if len(running_children(server.pid)) >= children and waiting(server.pid):
            return
        time.sleep(0.01)


def running_children(pid):
    """Pids of pid's children that have not exited (zombies left out)."""
    found = []
    for child in procfs.children(pid):
        p = procfs.proc(child)
        if p is not None and not p.zombie:
            found.append(child)
    return found


def waiting(pid):
    """Whether pid is blocked in its wait for a connection: by the system
    call it is in, where procfs knows this machine's numbers; elsewhere by
    its state, asleep (a stage's server sleeps nowhere else)."""
    if procfs.WAITING_SYSCALLS:
        return bool(procfs.waiting_syscalls(pid))
    p = procfs.proc(pid)
    return p is not None and p.state == "S"


def settle(server, limit):
    """Wait until no child of the server is still running (or the server
    is gone), then a moment more for a handler that is about to run.
    Bounded by limit seconds."""
    deadline = time.monotonic() + limit
    # Keep off the CPUs while the children end: reading /proc in a busy
    # loop here would spread their exits out and hide the lesson.
    time.sleep(0.3)
    while time.monotonic() < deadline and server.popen.poll() is None:
        if all(r["stat"] == "Z" for r in tree(server.pid)[1:]):
            break
        time.sleep(0.2)
    time.sleep(0.3)


def snapshot(server):
    rows = tree(server.pid)
    alive = server.popen.poll() is None and bool(rows) and rows[0]["stat"] != "Z"
    children = rows[1:] if alive else []
    return {"alive": alive, "status": server.popen.returncode, "rows": rows,
            "zombies": sum(r["stat"] == "Z" for r in children),
            "running_children": sum(r["stat"] != "Z" for r in children)}


def show_tree(out, paint, snap):
    out.write(f"{'PID':>7} {'PPID':>7} STAT CMD\n")
    for r in snap["rows"]:
        line = f"{r['pid']:>7} {r['ppid']:>7} {r['stat']:<4} {r['cmd']}"
        out.write(paint.red(line + "   <- zombie") + "\n" if r["stat"] == "Z" else line + "\n")


def run_stage(name, argv, about, args, out, paint):
    client = str(Path(args.build) / "echo-client")
    out.write("\n" + paint.bold(f"== {name}: {about}") + "\n")
    server = Server(argv, 10 * args.timeout_scale)
    result = {"name": name, "argv": argv, "port": server.port, "server_pid": server.pid}
    try:
        out.write(f"$ {shown(argv)} 0 &      # {server.lines[0]}\n")
        rounds = []
        for _ in range(ROUNDS):
            ran = run_client(client, server, 30 * args.timeout_scale)
            rounds.append(ran)
            out.write(f"$ echo {LINE.decode().strip()!r} | {shown(ran['argv'])}\n")
            out.write(ran["stdout"] + (ran["stderr"] + "\n" if ran["stderr"] else ""))
            out.write(f"(client exit status {ran['status']})\n")
            settle(server, 5 * args.timeout_scale)
            snap = snapshot(server)
            if snap["zombies"] or not snap["alive"]:
                break
            if len(rounds) < ROUNDS:
                out.write("(nothing left behind; the client again)\n")
        result.update(snap, rounds=len(rounds), client=rounds, server_said=server.lines,
                      seen=[r["pid"] for r in snap["rows"]])
        said = server.lines[1:]
        for line in said[:SHOW_LINES]:
            out.write(f"server: {line}\n")
        if len(said) > SHOW_LINES:
            out.write(f"server: ... and {len(said) - SHOW_LINES} more lines like these\n")
        if snap["alive"]:
            show_tree(out, paint, snap)
            out.write(f"{snap['zombies']} zombie(s), {snap['running_children']} "
                      f"running child(ren), after {len(rounds)} round(s) of "
                      f"{CONNECTIONS} connections\n")
        else:
            out.write(paint.red(f"the server is gone (exit status {snap['status']})") + "\n")
        if args.verdict:
            out.write(f"(asking the conformance suite about {', '.join(STORY_CLAUSES)}...)\n")
            out.flush()
            result["verdict"] = verdict.run(
                "server", argv + ["{port}"], select=STORY_CLAUSES,
                extra=["--timeout-scale", str(args.timeout_scale)])
            out.write(verdict.one_line(result["verdict"], paint) + "\n")
        if args.step:
            out.write(f"(server pid {server.pid} still runs: look with "
                      f"ps -o pid,ppid,stat,cmd --ppid {server.pid}; "
                      f"Enter to go on)\n")
            out.flush()
            sys.stdin.readline()
    finally:
        server.stop()
    out.flush()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=str(ROOT / "build"), help="build directory")
    parser.add_argument("--step", action="store_true",
                        help="pause after each stage, its server still running")
    parser.add_argument("--no-verdict", dest="verdict", action="store_false",
                        help="skip the conformance suite's verdicts (faster)")
    parser.add_argument("--stages", help="comma-separated subset, e.g. stage1,stage3")
    parser.add_argument("--timeout-scale", type=float, default=1.0)
    parser.add_argument("--json", help="also write what was seen to this file")
    args = parser.parse_args()

    wanted = args.stages.split(",") if args.stages else [s[0] for s in STAGES]
    unknown = set(wanted) - {s[0] for s in STAGES}
    if unknown:
        parser.error(f"no such stage: {', '.join(sorted(unknown))}")
    # SIGTERM and SIGHUP end the demo as Ctrl-C does: through the finally clauses.
    for signo in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signo, signal.default_int_handler)
    procs.become_subreaper()
    paint = Paint(sys.stdout)
    results = []
    try:
        for name, prog, about in STAGES:
            if name in wanted:
                argv = [str(Path(args.build) / prog)]
                results.append(run_stage(name, argv, about, args, sys.stdout, paint))
    except KeyboardInterrupt:
        sys.stdout.write("\ninterrupted; every process the demo started is ended\n")
        return 130
    finally:
        procs.end_adopted(5)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
