"""Measures the Switchyard desktop app: start to first paint, idle PSS, size.

Run by scripts/bench-app.sh inside Xvfb and a keyring session. Each run starts
the app with a fresh data directory and `--bench-report FILE`; the app writes
the wall-clock time of its first paint (after two animation frames) there.
Start time is taken here, just before the process is spawned, so it includes
exec, dynamic linking and WebKit start-up.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

IDLE_SECONDS = 5


def children_of(pid):
    """All descendants of pid (WebKitWebProcess, WebKitNetworkProcess, ...)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found.extend(kids)
        frontier.extend(kids)
    return found


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def one_run(app):
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "report.json")
        start_ms = time.time() * 1000
        proc = subprocess.Popen([app, "--data-dir", os.path.join(d, "data"), "--bench-report", report],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            while not os.path.exists(report) or os.path.getsize(report) == 0:
                if proc.poll() is not None:
                    raise SystemExit(f"the app exited with {proc.returncode} before painting")
                if time.time() > deadline:
                    raise SystemExit("no first paint within 60 s")
                time.sleep(0.01)
            with open(report) as f:
                painted = json.load(f)["first_paint_unix_ms"]
            time.sleep(IDLE_SECONDS)
            pids = [proc.pid] + children_of(proc.pid)
            per = {p: pss_kib(p) for p in pids}
            return painted - start_ms, sum(per.values()), {comm(p): kib for p, kib in per.items()}
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main():
    app, runs = sys.argv[1], int(sys.argv[2])
    starts, mems, breakdown = [], [], {}
    for i in range(runs):
        ms, kib, per = one_run(app)
        starts.append(ms)
        mems.append(kib)
        breakdown = per
        print(f"run {i + 1}: first paint {ms:.0f} ms, idle PSS {kib / 1024:.1f} MiB", flush=True)
    size_mb = os.path.getsize(app) / 1e6
    rows = [
        ("cold start to first paint, first run", f"{starts[0]:.0f} ms", "<= 1000 ms", starts[0] <= 1000),
        ("start to first paint, median", f"{statistics.median(starts):.0f} ms", "<= 1000 ms", statistics.median(starts) <= 1000),
        ("idle memory (PSS, app + WebKit), median", f"{statistics.median(mems) / 1024:.1f} MiB", "<= 200 MB", statistics.median(mems) / 1024 <= 200 / 1.048576),
        ("release binary size", f"{size_mb:.1f} MB", "<= 20 MB", size_mb <= 20),
    ]
    print()
    print(f"| {'measure':<42} | {'value':>10} | {'goal':>10} | met |")
    print(f"|{'-' * 44}|{'-' * 12}|{'-' * 12}|-----|")
    for name, value, goal, ok in rows:
        print(f"| {name:<42} | {value:>10} | {goal:>10} | {'yes' if ok else 'NO':>3} |")
    print("\nPSS by process (last run): " + ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in sorted(breakdown.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
