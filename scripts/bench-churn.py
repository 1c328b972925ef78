#!/usr/bin/env python3
"""The churn figure of scripts/bench (issue 14): RSS and replica size of `sinkron serve` before and
after floods of garbage connections and of idle syncs, on 127.0.0.1 only. Standard library only.

  bench-churn.py --sinkron BIN --work DIR [--garbage 10000] [--idle 1000] [--json FILE]
"""
import argparse, json, os, random, re, shutil, socket, sqlite3, struct, subprocess, sys, threading, time

from benchlib import log, sinkron

P = argparse.ArgumentParser()
P.add_argument("--sinkron", required=True)
P.add_argument("--work", required=True)
P.add_argument("--garbage", type=int, default=10000)
P.add_argument("--idle", type=int, default=1000)
P.add_argument("--parallel", type=int, default=4)
P.add_argument("--json")
A = P.parse_args()


sk = sinkron(A.sinkron)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def disk_bytes(home):
    """replica.db after folding its WAL in (the WAL itself is bounded at 4 MiB by the replica's
    journal_size_limit and starts over at each checkpoint): what the replica keeps for good."""
    path = os.path.join(home, "replica.db")
    db = sqlite3.connect(path, timeout=10)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    db.close()
    return sum(os.path.getsize(os.path.join(home, f)) for f in os.listdir(home) if f.startswith("replica.db") and not f.endswith("-shm"))


CONNECTED = []


def garbage(port, count, seed):
    """Connections that misbehave in turn: close at once, reset, oversized prefix, random bytes,
    half a frame; each from a loopback address of its own. Counts those that reached serve."""
    rng = random.Random(seed)
    connected = 0
    for i in range(count):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind(("127.0.%d.%d" % (rng.randint(1, 250), rng.randint(2, 250)), 0))
            s.connect(("127.0.0.1", port))
            connected += 1
            kind = i % 5
            if kind == 1:
                s.sendall(b"\xff\xff\xff\xff\x01")
            elif kind == 2:
                s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600))))
            elif kind == 3:
                s.sendall(b"\x00\x00\x00\x40\x01SNKR")
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        finally:
            s.close()
    CONNECTED.append(connected)


def measure(proc, home, label):
    time.sleep(2)  # let lingering closes and timers finish
    r, d = rss_kib(proc.pid), disk_bytes(home)
    log("%-28s RSS %7.1f MB   replica %8.1f KB" % (label, r / 1024, d / 1024))
    return r, d


def main():
    work = os.path.join(A.work, "churn")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    admin, desk = os.path.join(work, "admin"), os.path.join(work, "desk")
    sk("init", "--court", "PN Bench", "--name", "kasubbag", "--role", "kasubbag", home=admin)
    receipt = json.loads(sk("invite", "--name", "desk", "--role", "meja-satu", "--out", os.path.join(work, "desk.invite"), "--json", home=admin))
    sk("init", "--invite", os.path.join(work, "desk.invite"), "--code", receipt["code"], home=desk)
    sk("dev", "fill", "--records", "200", "--sets", "2000", "--batch", "2200", home=admin)
    proc = subprocess.Popen([A.sinkron, "serve", "--listen", "127.0.0.1:0", "--no-discovery", "--home", admin],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    for line in proc.stderr:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        raise SystemExit("serve did not start")
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    try:
        sk("sync", "127.0.0.1:%d" % port, "--quiet", home=desk)  # the desk catches up once
        base = measure(proc, admin, "serve, after one sync")
        start = time.time()
        per = A.garbage // A.parallel
        threads = [threading.Thread(target=garbage, args=(port, per, i)) for i in range(A.parallel)]
        for t in threads: t.start()
        for t in threads: t.join(600)
        log("%d garbage connections in %.1f s (%d reached serve)" % (per * A.parallel, time.time() - start, sum(CONNECTED)))
        if sum(CONNECTED) < 0.9 * per * A.parallel:
            raise SystemExit("only %d of %d garbage connections reached serve: the figure would mean nothing" % (sum(CONNECTED), per * A.parallel))
        after_garbage = measure(proc, admin, "after garbage connections")
        start = time.time()
        failed = []
        def idle(count):
            for _ in range(count):
                p = subprocess.run([A.sinkron, "sync", "127.0.0.1:%d" % port, "--quiet", "--home", desk], capture_output=True, text=True)
                if p.returncode != 0: failed.append(p.stderr)
        per_idle = A.idle // A.parallel
        threads = [threading.Thread(target=idle, args=(per_idle,)) for _ in range(A.parallel)]
        for t in threads: t.start()
        for t in threads: t.join(1800)
        log("%d idle syncs in %.1f s (%d failed)" % (per_idle * A.parallel, time.time() - start, len(failed)))
        if failed: log("first failure: %s" % failed[0].strip())
        after_idle = measure(proc, admin, "after idle syncs")
        if proc.poll() is not None:
            raise SystemExit("serve died: %s" % proc.returncode)
    finally:
        proc.terminate()
        proc.wait(10)
    drss = (after_idle[0] - base[0]) / 1024
    ddisk = (after_idle[1] - base[1]) / 1024
    ok = drss <= 5 and ddisk <= 100 and not failed
    print("churn: serve RSS %.1f -> %.1f -> %.1f MB (%+.1f MB; target <= +5 MB), replica %.0f -> %.0f -> %.0f KB "
          "(%+.0f KB; target <= +100 KB) over %d garbage connections, then %d idle syncs   %s"
          % (base[0] / 1024, after_garbage[0] / 1024, after_idle[0] / 1024, drss, base[1] / 1024, after_garbage[1] / 1024,
             after_idle[1] / 1024, ddisk, per * A.parallel, per_idle * A.parallel, "PASS" if ok else "FAIL"))
    if A.json:
        with open(A.json, "w") as f:
            json.dump({"rss_kib": [base[0], after_garbage[0], after_idle[0]], "disk_bytes": [base[1], after_garbage[1], after_idle[1]],
                       "garbage": per * A.parallel, "idle_syncs": per_idle * A.parallel, "failed_syncs": len(failed)}, f, indent=1)
    return 0 if ok else 1


sys.exit(main())
