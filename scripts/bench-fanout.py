#!/usr/bin/env python3
"""The fan-out figure of scripts/bench (issue 17): how fast one write reaches every daemon of a
court, and what an idle daemon costs, on 127.0.0.1 only. Standard library only.

  bench-fanout.py --sinkron BIN --work DIR [--nodes 30] [--writes 3] [--idle 30] [--json FILE]

Two shapes, each with `--nodes` daemons (the admin and its desks, discovery off):
  star  every desk dials the admin, which dials them back when it has news (learned peers);
  line  node i dials node i-1 only, and a write made at one end must cross all of them.
A write's arrival at a daemon is the moment its log says it received operations (the logs are
read every 10 ms). Targets: star median <= 2 s and max <= 5 s; line <= 15 s end to end; an idle
daemon uses <= 1 % of a core (its CPU time over --idle seconds with nothing to do).
"""
import argparse, json, os, re, shutil, socket, statistics, subprocess, sys, time

from benchlib import log, sinkron

P = argparse.ArgumentParser()
P.add_argument("--sinkron", required=True)
P.add_argument("--work", required=True)
P.add_argument("--nodes", type=int, default=30)
P.add_argument("--writes", type=int, default=3)
P.add_argument("--idle", type=int, default=30)
P.add_argument("--json")
A = P.parse_args()
RECEIVED = re.compile(r"synced with .*: received ([1-9]\d*)")


sk = sinkron(A.sinkron)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def court(base, n):
    """The admin and n-1 desks joined by invitation; their homes."""
    homes = [os.path.join(base, "node%02d" % i) for i in range(n)]
    sk("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag", home=homes[0])
    for i in range(1, n):
        invite = os.path.join(base, "node%02d.invite" % i)
        out = sk("invite", "--name", "desk%02d" % i, "--role", "staf-ti", "--out", invite, "--json", home=homes[0])
        sk("init", "--invite", invite, "--code", json.loads(out)["code"], home=homes[i])
    return homes


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Daemons:
    def __init__(self, base, homes, shape):
        self.ports = [free_port() for _ in homes]
        self.logs = [os.path.join(base, "%s-%02d.log" % (shape, i)) for i in range(len(homes))]
        self.procs = []
        for i, home in enumerate(homes):
            peers = []
            if shape == "star" and i > 0:
                peers = [0]
            elif shape == "line" and i > 0:
                peers = [i - 1]
            args = [A.sinkron, "serve", "--home", home, "--listen", "127.0.0.1:%d" % self.ports[i], "--no-discovery"]
            for p in peers:
                args += ["--peer", "127.0.0.1:%d" % self.ports[p]]
            self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.logs[i], "w")))
        self.offsets = [0] * len(homes)

    def mark(self):
        self.offsets = [os.path.getsize(f) for f in self.logs]

    def arrivals(self, skip, timeout):
        """Seconds from now until each daemon (but `skip`) logs operations received; None if not
        within `timeout`."""
        start = time.time()
        seen = {}
        handles = [open(f) for f in self.logs]
        for h, off in zip(handles, self.offsets):
            h.seek(off)
        # What each log gained so far: a line may be read in two pieces while it is written.
        texts = [""] * len(handles)
        while len(seen) < len(self.logs) - 1 and time.time() - start < timeout:
            for i, h in enumerate(handles):
                if i == skip or i in seen:
                    continue
                texts[i] += h.read()
                if RECEIVED.search(texts[i]):
                    seen[i] = time.time() - start
            time.sleep(0.01)
        for h in handles:
            h.close()
        return [seen.get(i) for i in range(len(self.logs)) if i != skip]

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def converge(homes, timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        digests = {sk("digest", home=h).strip() for h in homes}
        if len(digests) == 1:
            return time.time() - start
        time.sleep(0.5)
    raise SystemExit("the daemons did not converge within %d s" % timeout)


def shape_run(base, homes, shape):
    log("%s of %d daemons: starting, waiting for them to agree" % (shape, len(homes)))
    d = Daemons(base, homes, shape)
    try:
        time.sleep(1)
        converge(homes)
        time.sleep(2)
        times, missing = [], 0
        writer = len(homes) - 1
        for w in range(A.writes):
            d.mark()
            sk("task", "add", "--sop", "BACKUP", "--title", "fan-out %s %d" % (shape, w), home=homes[writer])
            got = d.arrivals(writer, timeout=60)
            missing += sum(1 for t in got if t is None)
            times += [t for t in got if t is not None]
            log("%s write %d from node %d: median %.2f s, max %.2f s over %d daemons" % (
                shape, w + 1, writer, statistics.median([t for t in got if t is not None] or [0]), max([t for t in got if t is not None] or [0]), len(got)))
            time.sleep(2)
        result = {"median": statistics.median(times), "max": max(times), "missing": missing, "samples": len(times)}
        if shape == "star":
            log("idle: %d s with nothing to do" % A.idle)
            time.sleep(3)
            before = [cpu_seconds(p.pid) for p in d.procs]
            time.sleep(A.idle)
            after = [cpu_seconds(p.pid) for p in d.procs]
            shares = [(b - a) / A.idle * 100 for a, b in zip(before, after)]
            result["idle_cpu_percent"] = {"median": statistics.median(shares), "max": max(shares), "admin": shares[0]}
        return result
    finally:
        d.stop()


def main():
    base = os.path.join(A.work, "fanout")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    log("court of %d nodes" % A.nodes)
    homes = court(base, A.nodes)
    star = shape_run(base, homes, "star")
    line = shape_run(base, homes, "line")
    ok_star = star["missing"] == 0 and star["median"] <= 2 and star["max"] <= 5
    ok_line = line["missing"] == 0 and line["max"] <= 15
    idle = star["idle_cpu_percent"]
    ok_idle = idle["max"] <= 1
    verdict = lambda ok: "PASS" if ok else "FAIL"
    print("fan-out, %d daemons on 127.0.0.1, %d writes each:" % (A.nodes, A.writes))
    print("  star (desks dial the admin)  median %.2f s, max %.2f s%s   target median <= 2 s, max <= 5 s   %s" % (
        star["median"], star["max"], ", %d daemons never got a write" % star["missing"] if star["missing"] else "", verdict(ok_star)))
    print("  line (end to end)            max %.2f s (median %.2f s)%s   target <= 15 s   %s" % (
        line["max"], line["median"], ", %d never got a write" % line["missing"] if line["missing"] else "", verdict(ok_line)))
    print("  idle daemon CPU              median %.2f %%, max %.2f %% of a core (admin %.2f %%) over %d s   target <= 1 %%   %s" % (
        idle["median"], idle["max"], idle["admin"], A.idle, verdict(ok_idle)))
    if A.json:
        with open(A.json, "w") as f:
            json.dump({"star": star, "line": line}, f, indent=1)


main()
