"""The benchmark run behind `make bench`: the reference echo server and
client against the peers a user would pick instead, and against the floors
of this machine, all measured by bench/loadgen in one run, interleaved.

usage: bench.py --build DIR [--quick] [--reps N] [--out DIR]
                [--server NAME=COMMAND]... [--only NAME,...] [--no-clients]
                [--no-scale | --scale-only] [--scale-peers]

Writes DIR/results.json, DIR/table.md, DIR/chart.png and, for the run at
scale (the reference holding 1,000 to 25,000 connections), DIR/scale.png
(see bench/README.md).
Every measurement is a separate loadgen process with a time bound: a peer
that fails or hangs is recorded with the reason and the run goes on.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

# The kit's server runner and /proc readings, from the suite's package
# (tests/integration, through PYTHONPATH: make sets it).
from echo_conformance import net, procfs, procs
from echo_conformance.program import Program, StartError

HERE = os.path.dirname(os.path.abspath(__file__))

FULL = dict(reps=5, rate_secs=2.0, bulk_bytes=1 << 30, ping_rounds=5000,
            hold_k=1000, fork_secs=2.0, floor_bytes=2 << 30,
            client_bytes=1 << 30, client_reps=3,
            scale_ks=[1000, 5000, 10000, 15000, 20000, 25000])
QUICK = dict(reps=1, rate_secs=0.5, bulk_bytes=64 << 20, ping_rounds=1000,
             hold_k=200, fork_secs=0.5, floor_bytes=256 << 20,
             client_bytes=128 << 20, client_reps=1, scale_ks=[200, 1000])

WAIT = 10.0     # loadgen's bound on any single wait (-T); 5 s gave false hangs at load 40
SLACK = 30.0    # what a whole loadgen run may take beyond its nominal length


def servers(build):
    """name -> argv with {port}.  The reference and tcpserver get the same
    cap on children, 1000, as many as the hold test opens.  Peers listen on
    127.0.0.1 only (busybox nc cannot choose, it takes every address).
    Limits that would stop a peer from holding the K connections are
    lifted; tcpserver's DNS and ident lookups are off, or it would query
    the network for every connection."""
    return {
        "reference": [os.path.join(build, "echo-server"), "-c", "1000", "{port}"],
        "socat-PIPE": ["socat", "TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", "PIPE"],
        "socat-EXEC": ["socat", "TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", "EXEC:cat"],
        "ncat": ["ncat", "-l", "127.0.0.1", "{port}", "-k", "-m", "100000", "--exec", "/bin/cat"],
        "tcpserver": ["tcpserver", "-HRl0", "-c", "1000", "127.0.0.1", "{port}", "cat"],
        "busybox-nc": ["busybox", "nc", "-ll", "-p", "{port}", "-e", "cat"],
        "python-forking": [sys.executable,
                           os.path.relpath(os.path.join(HERE, "peers", "forking_echo.py")),
                           "{port}"],
    }


def clients(build):
    return {
        "echo-client": [os.path.join(build, "echo-client"), "127.0.0.1", "{port}"],
        "socat": ["socat", "-", "TCP:127.0.0.1:{port}"],
        "nc.openbsd": ["nc.openbsd", "-N", "127.0.0.1", "{port}"],
        "ncat": ["ncat", "127.0.0.1", "{port}"],
    }


# metric -> (what, unit, higher is better, the floor it is held against)
METRICS = {
    "rate1": ("connection rate, 1 worker", "conn/s", True, "fork"),
    "rate8": ("connection rate, 8 workers", "conn/s", True, "fork"),
    "bulk": ("bulk echo, one connection", "MiB/s", True, "bw"),
    "p50": ("1-byte round trip p50", "us", False, "rtt_p50"),
    "p99": ("1-byte round trip p99", "us", False, "rtt_p99"),
    "kib_per_conn": ("PSS per held connection", "KiB", False, None),
    "reap_ms": ("reap after the last close", "ms", False, None),
    "cpu_conn": ("server CPU per connection, 8 workers", "us", False, None),
    "cpu_gib": ("server CPU per echoed GiB", "s", False, None),
}
FLOORS = {
    "fork": ("fork+_exit+waitpid", "forks/s"),
    "bw": ("one-way loopback, sender+sink", "MiB/s"),
    "rtt_p50": ("two-thread 1-byte round trip p50", "us"),
    "rtt_p99": ("two-thread 1-byte round trip p99", "us"),
}


class Server(Program):
    """A server on a free port, its output added to LOGDIR/NAME.log, ready
    once it listens: read from /proc, since probing with a connection would
    spawn a child in every server."""

    def __init__(self, argv, logdir, name):
        self.port = net.free_port()
        super().__init__([a.replace("{port}", str(self.port)) for a in argv],
                         os.path.join(logdir, name + ".log"), append=True)

    def start(self):
        self.spawn()
        if not self.wait_ready(lambda: procfs.listeners(self.port), 10):
            why = "did not listen within 10 s" if self.alive() else "exited with " + self.status()
            self.stop()
            raise StartError(why + " (see the log)")
        return self

    __enter__ = start

    def stop(self):
        """SIGTERM, then SIGKILL for what is left of its tree (ncat's
        children, socat's cat) after 3 s."""
        self.end(3)

    def __exit__(self, *exc):
        self.stop()


def server_cpu(pid):
    """CPU seconds of the server and of the children it has reaped, read
    once its children are gone (bounded): a running child's time is not yet
    its parent's.  Busy neighbours stretch wall time far more than CPU time.
    NaN when the figure would be wrong: a server that ignores SIGCHLD never
    waits for its children, and their time is lost."""
    end = time.monotonic() + 3
    while procfs.children(pid) and time.monotonic() < end:
        time.sleep(0.02)
    if procfs.proc(pid) is None or procfs.ignores(pid, signal.SIGCHLD):
        return float("nan")
    return procfs.cpu_seconds(pid, children=True)


def cpu_checked(out, key):
    if key in out and not math.isfinite(out[key]):
        return {"error": "no CPU time: server gone, or it ignores SIGCHLD "
                         "and its children's time is lost"}
    return out


def loadgen(binary, mode, *args, bound):
    """One loadgen run: its JSON, or {"error": why}."""
    argv = [binary, mode, "-T", str(WAIT), *map(str, args)]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=bound)
    except subprocess.TimeoutExpired:
        return {"error": "hung: killed after %.0f s" % bound}
    lines = p.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"error": "exit %d: %s" % (p.returncode, p.stderr.strip()[:200])}
    if p.returncode != 0 and "error" not in out:
        out["error"] = "exit %d" % p.returncode
    return out


class Results:
    """metric runs per subject: a number, or an error string."""

    def __init__(self):
        self.runs = {}

    def add(self, group, subject, metric, out, key):
        runs = self.runs.setdefault(group, {}).setdefault(subject, {}).setdefault(metric, [])
        if "error" in out:
            runs.append(out["error"])
        elif key == "reap_ms" and out.get("unreaped"):
            runs.append("%d children not reaped after %.0f s" % (out["unreaped"], 2 * WAIT))
        else:
            runs.append(out[key])

    def summary(self, group, subject, metric):
        runs = self.runs.get(group, {}).get(subject, {}).get(metric, [])
        nums = [r for r in runs if not isinstance(r, str)]
        errors = sorted({r for r in runs if isinstance(r, str)})
        s = {"runs": runs, "errors": errors}
        if nums:
            s.update(median=statistics.median(nums), min=min(nums), max=max(nums))
        return s


def measure_floors(lg, cfg, res):
    out = loadgen(lg, "fork", "-t", cfg["fork_secs"], bound=cfg["fork_secs"] + SLACK)
    res.add("floors", "floor", "fork", out, "forks_per_s")
    out = loadgen(lg, "floor-bw", "-n", cfg["floor_bytes"], bound=SLACK)
    res.add("floors", "floor", "bw", out, "mib_per_s")
    out = loadgen(lg, "floor-rtt", "-n", cfg["ping_rounds"], bound=SLACK)
    res.add("floors", "floor", "rtt_p50", out, "p50_us")
    res.add("floors", "floor", "rtt_p99", out, "p99_us")


def measure_server(lg, cfg, res, name, argv, logdir):
    add = lambda metric, out, key: res.add("servers", name, metric, out, key)
    srv = Server(argv, logdir, name)
    try:
        srv.start()
    except (StartError, RuntimeError, OSError) as e:
        for metric in METRICS:
            add(metric, {"error": str(e)}, None)
        return
    try:
        p = ["-p", srv.port]
        for workers in (1, 8):
            cpu = server_cpu(srv.pid)
            out = loadgen(lg, "rate", *p, "-c", workers, "-t", cfg["rate_secs"],
                          bound=cfg["rate_secs"] + SLACK)
            if out.get("errors"):
                out = {"error": "%d connections failed: %s" % (out["errors"], out["last_error"])}
            add("rate%d" % workers, out, "conns_per_s")
            if workers == 8:
                if "error" not in out:
                    out["cpu_us"] = (server_cpu(srv.pid) - cpu) / out["conns"] * 1e6
                add("cpu_conn", cpu_checked(out, "cpu_us"), "cpu_us")
        cpu = server_cpu(srv.pid)
        out = loadgen(lg, "bulk", *p, "-n", cfg["bulk_bytes"], bound=SLACK)
        add("bulk", out, "mib_per_s")
        if "error" not in out:
            out["cpu_s"] = (server_cpu(srv.pid) - cpu) / (cfg["bulk_bytes"] / (1 << 30))
        add("cpu_gib", cpu_checked(out, "cpu_s"), "cpu_s")
        out = loadgen(lg, "ping", *p, "-s", srv.pid, "-n", cfg["ping_rounds"], bound=SLACK)
        add("p50", out, "p50_us")
        add("p99", out, "p99_us")
        out = loadgen(lg, "hold", *p, "-s", srv.pid, "-k", cfg["hold_k"], bound=SLACK + 60)
        add("kib_per_conn", out, "kib_per_conn")
        add("reap_ms", out, "reap_ms")
    finally:
        srv.stop()


def measure_client(lg, cfg, res, name, argv, port, infile):
    argv = [a.replace("{port}", str(port)) for a in argv]
    n = cfg["client_bytes"]
    bound = SLACK + n / (50 << 20)      # even 50 MiB/s finishes in time
    with open(infile, "rb") as src:
        t0 = time.monotonic()
        cli = subprocess.Popen(argv, stdin=src, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        chk = subprocess.Popen([lg, "check", "-n", str(n)], stdin=cli.stdout,
                               stdout=subprocess.PIPE, text=True)
        cli.stdout.close()
        try:
            report, _ = chk.communicate(timeout=bound)
            secs = time.monotonic() - t0
            rc = cli.wait(WAIT)
            out = json.loads(report.strip().splitlines()[-1])
            if "error" not in out and rc != 0:
                out = {"error": "client exit %d" % rc}
            out["mib_per_s"] = n / secs / (1 << 20)
        except subprocess.TimeoutExpired:
            out = {"error": "hung: killed after %.0f s" % bound}
        except (ValueError, IndexError):
            out = {"error": "checker printed nothing"}
        finally:
            for p in (cli, chk):
                if p.poll() is None:
                    p.kill()
                    p.wait()
    res.add("clients", name, "client", out, "mib_per_s")


def measure_clients(lg, cfg, res, cli, server_argv, logdir):
    """Every client sends the same batch, from a file in memory, through one
    reference server; a loadgen checker verifies what comes back."""
    if not cli:
        return
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    fd, infile = tempfile.mkstemp(prefix="bench-input-", dir=shm)
    try:
        with os.fdopen(fd, "wb") as f:
            subprocess.run([lg, "gen", "-n", str(cfg["client_bytes"])], stdout=f, check=True)
        with Server(server_argv, logdir, "client-server") as ref:
            for rep in range(cfg["client_reps"]):
                order = list(cli)[rep % len(cli):] + list(cli)[:rep % len(cli)]
                print("clients rep %d/%d: %s" % (rep + 1, cfg["client_reps"], ", ".join(order)),
                      flush=True)
                for name in order:
                    measure_client(lg, cfg, res, name, cli[name], ref.port, infile)
    finally:
        os.unlink(infile)


# Pids the run at scale leaves to everything else on the machine: pid_max
# is shared with the host here, and a fork that fails hurts every user.
PID_SPARE = 2000


# The peers at scale, at fewer K: each of their connections costs 60 to 850
# KiB (the table of a full run), and their run says what stops them.  They
# are opened a few ahead of their echoes, not loadgen's 512, fewer than
# their listen queue holds: socat and Python's socketserver listen with a
# queue of 5, busybox nc with 2, and a SYN dropped from a full queue costs
# its client a second or more (busybox nc opened 7 connections a second
# 4 ahead, 360 a second 2 ahead).
PEER_SCALE_KS = [1000, 5000]
PEER_AHEAD = {"busybox-nc": 2}
PEER_AHEAD_DEFAULT = 4


def scale_argv(argv, k):
    """argv with a cap on children (-c N: the reference, tcpserver) raised
    so that K connections, and the probes beside them, fit under it."""
    argv = list(argv)
    if "-c" in argv:
        argv[argv.index("-c") + 1] = str(k + 1000)
    return argv


def exit_floor(lg, k, floors):
    """What K exits cost this machine whoever reaps them, in ms: the floor
    under the close and the reap (bench/README.md, "At scale").  The same
    for every server, so measured once per K (floors: the ones so far)."""
    if k not in floors:
        out = loadgen(lg, "exit-floor", "-k", k, bound=SLACK + k / 100)
        floors[k] = out.get("reap_ms", float("nan"))
    return floors[k]


def kdamond_seconds():
    """CPU seconds used so far by the kernel's DAMON threads (kdamond), 0
    where none runs.  Their access checks walk every mapping of the pages
    they sample, and with K children sharing the server's pages each walk
    visits K page tables, holding locks that the server's fork() needs:
    their share of a CPU during a run says how much of its latency is the
    machine's (bench/README.md, "A new client while the connections are
    held")."""
    return sum(procfs.cpu_seconds(int(pid)) for pid in os.listdir("/proc")
               if pid.isdigit() and procfs.comm(int(pid)).startswith("kdamond"))


def measure_scale(lg, ks, logdir, name, argv, floors, ahead=None):
    """name's server holding K connections for each K, one run each:
    loadgen scale's JSON per K, or why it was not run, and beside it the
    floor of K exits."""
    runs = []
    for k in ks:
        # The K children, the 200 probes' and the load's own processes.
        need = k + 300 + PID_SPARE
        free = procfs.free_pids()
        if free < need:
            runs.append({"server": name, "k": k, "error": "not run: %d pids free, %d needed "
                         "(forks would fail near here)" % (free, need)})
            continue
        print("scale: %s, %d connections" % (name, k), flush=True)
        srv = Server(scale_argv(argv, k), logdir, name + "-scale")
        damon, started = kdamond_seconds(), time.monotonic()
        try:
            srv.start()
            out = loadgen(lg, "scale", "-p", srv.port, "-s", srv.pid, "-k", k,
                          *(["-a", ahead] if ahead else []), bound=SLACK + 60 + k / 100)
        except (StartError, RuntimeError, OSError) as e:
            out = {"error": str(e)}
        finally:
            srv.stop()
        out.update(server=name, k=k, exit_floor_ms=exit_floor(lg, k, floors),
                   kdamond_cpu_pct=round(100 * (kdamond_seconds() - damon)
                                         / (time.monotonic() - started), 1))
        runs.append(out)
    return runs


def measure_all_at_scale(lg, cfg, build, logdir, peers, only=None):
    """The reference at every K of cfg, then, with peers, each peer at
    PEER_SCALE_KS; only: a list of names, to run just those."""
    every = servers(build)
    wanted = lambda name: only is None or name in only
    runs, floors = [], {}
    if wanted("reference"):
        runs += measure_scale(lg, cfg["scale_ks"], logdir, "reference", every["reference"],
                              floors)
    for name in (n for n in every if peers and n != "reference" and wanted(n)):
        ks = [k for k in PEER_SCALE_KS if k <= max(cfg["scale_ks"])]
        runs += measure_scale(lg, ks, logdir, name, every[name], floors,
                              ahead=PEER_AHEAD.get(name, PEER_AHEAD_DEFAULT))
    return runs


def scale_table(runs):
    rows = ["", "### At scale", "",
            "| server | connections | open s | PSS KiB/conn "
            "| kernel KiB/conn (stack, page tables, slab) "
            "| new client p50 / p99 ms | closing ms | reap after last close ms "
            "| K exits at once (floor) ms | kdamond CPU % |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        if "error" in r:
            rows.append("| %s | %d | %s | | | | | | | |" % (r["server"], r["k"], r["error"]))
            continue
        rows.append("| %s | %d | %.1f | %.1f | %.1f (%.1f, %.1f, %.1f) | %.1f / %.1f | %.1f "
                    "| %.1f%s | %.1f | %s |" % (
                        r["server"], r["k"], r["open_s"], r["kib_per_conn"], r["kernel_kib_per_conn"],
                        r["kstack_kib_per_conn"], r["ptables_kib_per_conn"],
                        r["slab_kib_per_conn"], r["new_p50_ms"], r["new_p99_ms"],
                        r["close_ms"], r["reap_ms"],
                        ", %d unreaped" % r["unreaped"] if r["unreaped"] else "",
                        r["exit_floor_ms"], r.get("kdamond_cpu_pct", "")))
    return "\n".join(rows) + "\n"


def plot(out, name, gp):
    """Writes the gnuplot script gp (a list of lines) as out/name and runs
    it; a failure is reported, not fatal: the numbers matter more."""
    script = os.path.join(out, name)
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        print("gnuplot failed: " + r.stderr.strip(), file=sys.stderr)


def scale_chart(runs, out):
    """The reference's memory per connection and times against the
    connections held."""
    ok = [r for r in runs if "error" not in r and r["server"] == "reference"]
    if not ok:
        return
    dat = os.path.join(out, "scale.dat")
    with open(dat, "w") as f:
        for r in ok:
            f.write("%d %s %s %s %s %s\n" % (r["k"], r["kib_per_conn"], r["kernel_kib_per_conn"],
                                             r["close_ms"] + r["reap_ms"], r["new_p99_ms"],
                                             r["exit_floor_ms"]))
    gp = ["set terminal pngcairo size 1200,450 font ',9'",
          "set output '%s'" % os.path.join(out, "scale.png"),
          "set multiplot layout 1,2 title 'echo-server holding K connections, one child each'",
          "set xlabel 'connections held'", "set grid", "set key top left", "set yrange [0:*]",
          "set title 'memory per connection (KiB)'",
          "plot '%s' using 1:2 with linespoints title 'PSS of the server tree', "
          "'' using 1:3 with linespoints title 'kernel: stack, page tables, slab (both ends)'" % dat,
          "set title 'time (ms)'",
          "set logscale y", "set yrange [*:*]",
          "plot '%s' using 1:4 with linespoints title 'first close to last child reaped', "
          "'' using 1:6 with linespoints title 'floor: K idle children ended at once', "
          "'' using 1:5 with linespoints title 'new client p99 while held'" % dat,
          "unset multiplot"]
    plot(out, "scale.gp", gp)


def run_scale_only(args, cfg):
    lg = os.path.join(args.build, "bench", "loadgen")
    logdir = os.path.join(args.out, "logs")
    os.makedirs(logdir, exist_ok=True)
    only = args.only.split(",") if args.only else None
    runs = measure_all_at_scale(lg, cfg, args.build, logdir, args.scale_peers, only)
    with open(os.path.join(args.out, "scale.json"), "w") as f:
        json.dump(runs, f, indent=1)
    text = scale_table(runs)
    print(text)
    scale_chart(runs, args.out)
    print("wrote %s/scale.json, scale.png" % args.out)


def run(args, cfg):
    lg = os.path.join(args.build, "bench", "loadgen")
    out = args.out
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    logdir = os.path.join(out, "logs")
    res = Results()
    srv = servers(args.build)
    for spec in args.server:
        name, _, command = spec.partition("=")
        srv[name] = shlex.split(command)
    if args.only:
        srv = {n: srv[n] for n in args.only.split(",")}
    names = list(srv)
    started = time.monotonic()
    load_at_start = os.getloadavg()[0]
    for rep in range(cfg["reps"]):
        # Interleaved: each repetition visits every subject, starting from a
        # different one, so slow drift on a shared machine hits all alike.
        order = names[rep % len(names):] + names[:rep % len(names)]
        print("rep %d/%d: floors, %s" % (rep + 1, cfg["reps"], ", ".join(order)), flush=True)
        measure_floors(lg, cfg, res)
        for name in order:
            measure_server(lg, cfg, res, name, srv[name], logdir)

    cli = clients(args.build) if args.clients else {}
    measure_clients(lg, cfg, res, cli, servers(args.build)["reference"], logdir)
    scale = measure_all_at_scale(lg, cfg, args.build, logdir, args.scale_peers) if args.scale else []

    data = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": dict(machine(), load_at_start=load_at_start),
        "config": dict(cfg, quick=args.quick),
        "seconds": round(time.monotonic() - started, 1),
        "commands": {"servers": srv, "clients": cli},
        "floors": {m: res.summary("floors", "floor", m) for m in FLOORS},
        "servers": {n: {m: res.summary("servers", n, m) for m in METRICS} for n in names},
        # Variants given with --server are not peers: the targets ignore them.
        "peers": [n for n in names if n in servers(args.build) and n != "reference"],
        "clients": {n: res.summary("clients", n, "client") for n in cli},
        "scale": scale,
    }
    data["targets"] = targets(data)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    text = table(data) + (scale_table(scale) if scale else "")
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text)
    print(text)
    chart(data, out)
    scale_chart(scale, out)
    print("wrote %s/results.json, table.md, chart.png%s" % (out, ", scale.png" if scale else ""))


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "load_at_end": os.getloadavg()}


def median(s):
    return s.get("median")


def ratio(a, b):
    return a / b if a is not None and b else None


def targets(d):
    """The project's targets for the reference, each with the figures it
    compares: [what, value, goal, met]."""
    if "reference" not in d["servers"]:
        return []
    ref = {m: median(s) for m, s in d["servers"]["reference"].items()}
    peers = [n for n in d["servers"] if n in d["peers"]]
    floor = {m: median(s) for m, s in d["floors"].items()}

    def best(metric, higher):
        vals = [median(d["servers"][n][metric]) for n in peers]
        vals = [v for v in vals if v is not None]
        return (max(vals) if higher else min(vals)) if vals else None

    best_client = max((median(s) for n, s in d["clients"].items()
                       if n != "echo-client" and median(s) is not None), default=None)
    ref_client = median(d["clients"].get("echo-client", {}))
    rows = [
        ("rate, 8 workers / best peer", ratio(ref["rate8"], best("rate8", True)), ">= 3.0"),
        ("rate, 8 workers / fork floor", ratio(ref["rate8"], floor["fork"]), ">= 1.2"),
        ("rate, 1 worker / fork floor", ratio(ref["rate1"], floor["fork"]), ">= 0.85"),
        ("bulk / best peer", ratio(ref["bulk"], best("bulk", True)), ">= 1.25"),
        ("bulk / one-way floor", ratio(ref["bulk"], floor["bw"]), ">= 0.55"),
        ("p50 / floor p50", ratio(ref["p50"], floor["rtt_p50"]), "<= 1.05"),
        ("p99 / floor p99", ratio(ref["p99"], floor["rtt_p99"]), "<= 1.5"),
        ("PSS per held connection, KiB", ref["kib_per_conn"], "<= 24"),
        ("reap after last close, ms", ref["reap_ms"], "<= 50"),
        ("reap / fastest peer", ratio(ref["reap_ms"], best("reap_ms", False)), "<= 1.0"),
        ("client / best peer client", ratio(ref_client, best_client), ">= 1.2"),
        ("client / one-way floor", ratio(ref_client, floor["bw"]), ">= 0.5"),
    ]
    out = []
    for what, value, goal in rows:
        op, limit = goal.split()
        met = None if value is None else (value >= float(limit) if op == ">=" else value <= float(limit))
        out.append({"what": what, "value": value, "goal": goal, "met": met})
    return out


def fmt(v):
    if v is None:
        return "-"
    return "%.0f" % v if abs(v) >= 100 else "%.1f" % v if abs(v) >= 10 else "%.2f" % v


def cell(s):
    if "median" not in s:
        return "FAILED"
    text = "%s (%s–%s)" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"]))
    return text + (" [%d failed]" % len([r for r in s["runs"] if isinstance(r, str)])
                   if s["errors"] else "")


def table(d):
    """Markdown: one table per metric, every ratio to the reference and the floor."""
    c = d["config"]
    lines = ["# echo benchmark, %s" % d["date"], "",
             "%d CPUs (%s), Linux %s; %d repetitions, median (min–max); "
             "%d held connections; bulk %d MiB; client batch %d MiB; "
             "load average %.1f at the start, %.1f at the end." % (
                 d["machine"]["cpus"], d["machine"]["cpu"], d["machine"]["kernel"], c["reps"],
                 c["hold_k"], c["bulk_bytes"] >> 20, c["client_bytes"] >> 20,
                 d["machine"]["load_at_start"], d["machine"]["load_at_end"][0]), ""]
    lines += ["## Floors", "", "| floor | value | unit |", "|---|---|---|"]
    for m, (what, unit) in FLOORS.items():
        lines.append("| %s | %s | %s |" % (what, cell(d["floors"][m]), unit))
    errors = []
    for m, (what, unit, higher, floor) in METRICS.items():
        ref = median(d["servers"].get("reference", {}).get(m, {}))
        fl = median(d["floors"][floor]) if floor else None
        lines += ["", "## %s (%s, %s is better)" % (what, unit, "higher" if higher else "lower"), "",
                  "| server | median (min–max) | ÷ reference |%s" % (" ÷ floor |" if floor else ""),
                  "|---|---|---|%s" % ("---|" if floor else "")]
        for n, metrics in d["servers"].items():
            s = metrics[m]
            v = median(s)
            lines.append("| %s | %s | %s |%s" % (n, cell(s), fmt(ratio(v, ref)),
                                                 " %s |" % fmt(ratio(v, fl)) if floor else ""))
            errors += ["%s, %s: %s" % (n, what, e) for e in s["errors"]]
    lines += ["", "## Client: %d MiB batch through the reference server (MiB/s)" % (c["client_bytes"] >> 20),
              "", "| client | median (min–max) | ÷ echo-client | ÷ one-way floor |", "|---|---|---|---|"]
    ref = median(d["clients"].get("echo-client", {}))
    for n, s in d["clients"].items():
        lines.append("| %s | %s | %s | %s |" % (n, cell(s), fmt(ratio(median(s), ref)),
                                               fmt(ratio(median(s), median(d["floors"]["bw"])))))
        errors += ["client %s: %s" % (n, e) for e in s["errors"]]
    lines += ["", "## Targets for the reference", "", "| target | value | goal | met |", "|---|---|---|---|"]
    for t in d["targets"]:
        met = "?" if t["met"] is None else "yes" if t["met"] else "**no**"
        lines.append("| %s | %s | %s | %s |" % (t["what"], fmt(t["value"]), t["goal"], met))
    if errors:
        lines += ["", "## Failures", ""] + ["- " + e for e in errors]
    return "\n".join(lines) + "\n"


def chart(d, out):
    """One panel per metric: a bar per server (median, min–max whiskers),
    the floor as a dashed line."""
    dat = os.path.join(out, "chart.dat")
    panels = [(m, what, unit, median(d["floors"][floor]) if floor else None)
              for m, (what, unit, _, floor) in METRICS.items()]
    with open(dat, "w") as f:
        for m, *_ in panels:
            for n, metrics in d["servers"].items():
                s = metrics[m]
                f.write('"%s" %s %s %s\n' % (n, s.get("median", "NaN"), s.get("min", "NaN"),
                                            s.get("max", "NaN")))
            f.write("\n\n")
        for n, s in d["clients"].items():
            f.write('"%s" %s %s %s\n' % (n, s.get("median", "NaN"), s.get("min", "NaN"),
                                        s.get("max", "NaN")))
    if d["clients"]:
        panels.append(("client", "client, %d MiB batch" % (d["config"]["client_bytes"] >> 20),
                       "MiB/s", median(d["floors"]["bw"])))
    gp = ["set terminal pngcairo size 2000,900 font ',9'",
          "set output '%s'" % os.path.join(out, "chart.png"),
          "set multiplot layout 2,5 title 'echo servers and clients, %s, %d CPUs "
          "(bars: median, whiskers: min-max, dashed: floor)'" % (d["date"], d["machine"]["cpus"]),
          "set style fill solid 0.6", "set boxwidth 0.7", "set xtics rotate by -40 nomirror",
          "set yrange [0:*]", "unset key", "set grid ytics"]
    for i, (m, what, unit, fl) in enumerate(panels):
        gp.append("set title '%s (%s)'" % (what, unit))
        line = ", %s with lines dt 2 lw 2 lc rgb 'black'" % fl if fl else ""
        gp.append("plot '%s' index %d using 0:2:xtic(1) with boxes lc rgb '#4477aa', "
                  "'' index %d using 0:2:3:4 with yerrorbars pt 0 lc rgb 'black'%s"
                  % (dat, i, i, line))
    gp.append("unset multiplot")
    plot(out, "chart.gp", gp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="the build directory (make's $(B))")
    ap.add_argument("--quick", action="store_true", help="a short smoke run")
    ap.add_argument("--reps", type=int, help="repetitions (default 5, quick 1)")
    ap.add_argument("--out", help="where results go (default BUILD/bench)")
    ap.add_argument("--server", action="append", default=[], metavar="NAME=COMMAND",
                    help="another server to measure; {port} in COMMAND is its port")
    ap.add_argument("--only", help="measure only these servers (comma-separated names)")
    ap.add_argument("--no-clients", dest="clients", action="store_false",
                    help="skip the client benchmark")
    ap.add_argument("--no-scale", dest="scale", action="store_false",
                    help="skip the run at scale (1,000 to 25,000 held connections)")
    ap.add_argument("--scale-only", action="store_true",
                    help="only the run at scale: writes scale.json and scale.png")
    ap.add_argument("--scale-peers", action="store_true",
                    help="the peers at scale too, at 1,000 and 5,000 connections")
    args = ap.parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.reps:
        cfg["reps"] = args.reps
    args.out = args.out or os.path.join(args.build, "bench")
    procs.become_subreaper()
    if args.scale_only:
        run_scale_only(args, cfg)
    else:
        run(args, cfg)


if __name__ == "__main__":
    main()
