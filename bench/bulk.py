"""Where a bulk echo's time goes: one 1 GiB echo over one loopback
connection through each server, interleaved, with the whole machine's
CPU time and context switches counted around it from /proc/stat (loadgen's
two threads, the server's process or processes, the kernel's softirq
work: everything the transfer makes the machine do, and whatever else
runs meanwhile, so run it on a quiet machine).

usage: bulk.py --build DIR [--reps N] [--bytes N] [--server NAME=COMMAND]...
               [--only NAME,...] [--out FILE]

Per server: MiB/s; how many of the machine's CPUs were busy on average
(task-clock / wall time); context switches per MiB, i.e. how often a
stage of the pipeline (writer, server, reader) slept waiting for another;
and the server's own CPU seconds per GiB.  When every server ends at the
same MiB/s with CPUs to spare, the bound is the pipeline's wake-ups, not
any server's work: bench/README.md, "Bulk echo: where the time goes".
The one-way floor (loadgen floor-bw: a sender thread and a sink thread,
one loopback crossing) is measured the same way for comparison.
"""
import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time

import bench

def machine_counts():
    """(CPU seconds busy on all CPUs, context switches) since boot."""
    busy = switches = 0
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0] == "cpu":
                # user nice system idle iowait irq softirq steal ...: all but idle and iowait
                ticks = [int(v) for v in fields[1:9]]
                busy = (sum(ticks) - ticks[3] - ticks[4]) / bench.procfs.CLOCK_TICKS
            elif fields[0] == "ctxt":
                switches = int(fields[1])
    return busy, switches


def one_run(lg, mode, args, nbytes, pid=None):
    """One transfer and what the machine did meanwhile: the figures, or
    {"error": why}."""
    cpu0 = bench.server_cpu(pid) if pid else None
    busy0, switches0 = machine_counts()
    t0 = time.monotonic()
    out = bench.loadgen(lg, mode, *args, "-n", nbytes, bound=bench.SLACK + nbytes / (20 << 20))
    wall = time.monotonic() - t0
    busy1, switches1 = machine_counts()
    if "error" in out:
        return out
    mib = nbytes / (1 << 20)
    # The window includes loadgen's start and exit, a few ms of a second.
    row = {"mib_per_s": out["mib_per_s"], "secs": out["secs"],
           "cpus_busy": (busy1 - busy0) / wall, "switches_per_mib": (switches1 - switches0) / mib}
    if pid:
        row["server_cpu_s_per_gib"] = (bench.server_cpu(pid) - cpu0) / (nbytes / (1 << 30))
    return row


def median_row(runs):
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[0]["error"] if runs else "not run"}
    keys = set.intersection(*(set(r) for r in good))
    return {k: statistics.median(r[k] for r in good) for k in keys} | {"runs": len(good)}


def table(rows):
    lines = ["| program | MiB/s | CPUs busy (of %d) | switches per MiB | server CPU s/GiB |"
             % os.cpu_count(), "|---|---|---|---|---|"]
    for name, r in rows.items():
        if "error" in r:
            lines.append("| %s | %s | | | |" % (name, r["error"]))
            continue
        cell = lambda k, f: (f % r[k]) if k in r and r[k] == r[k] else "-"
        lines.append("| %s | %s | %s | %s | %s |" % (
            name, cell("mib_per_s", "%.0f"), cell("cpus_busy", "%.2f"),
            cell("switches_per_mib", "%.0f"), cell("server_cpu_s_per_gib", "%.2f")))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bytes", type=int, default=1 << 30)
    ap.add_argument("--server", action="append", default=[], metavar="NAME=COMMAND",
                    help="another server to measure; {port} in COMMAND is its port")
    ap.add_argument("--only", help="comma-separated server names (see bench.py)")
    ap.add_argument("--out", help="also write the medians and every run as JSON here")
    args = ap.parse_args()
    lg = os.path.join(args.build, "bench", "loadgen")
    if not os.access(lg, os.X_OK):
        sys.exit("bulk.py: %s is not built (make %s)" % (lg, lg))
    servers = bench.servers(args.build)
    for spec in args.server:
        name, _, command = spec.partition("=")
        servers[name] = shlex.split(command)
    if args.only:
        unknown = set(args.only.split(",")) - servers.keys()
        if unknown:
            sys.exit("bulk.py: no such server: %s" % ", ".join(sorted(unknown)))
        servers = {k: v for k, v in servers.items() if k in args.only.split(",")}
    bench.procs.become_subreaper()
    runs = {"one-way floor": []} | {name: [] for name in servers}
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as logdir:
        for rep in range(args.reps):
            print("rep %d/%d" % (rep + 1, args.reps), flush=True)
            runs["one-way floor"].append(one_run(lg, "floor-bw", [], args.bytes))
            for name, argv in servers.items():
                srv = bench.Server(argv, logdir, name)
                try:
                    srv.start()
                    runs[name].append(one_run(lg, "bulk", ["-p", srv.port], args.bytes, srv.pid))
                except (bench.StartError, OSError) as e:
                    runs[name].append({"error": str(e)})
                finally:
                    srv.stop()
    rows = {name: median_row(r) for name, r in runs.items()}
    print(table(rows))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"medians": rows, "runs": runs, "machine": bench.machine()}, f, indent=1)


if __name__ == "__main__":
    main()
