#!/usr/bin/env python3
"""The measuring half of scripts/bench (run that, not this). Standard library only."""
import argparse, json, os, platform, re, shutil, signal, statistics, subprocess, sys, time

from benchlib import log

P = argparse.ArgumentParser()
P.add_argument("--sinkron", required=True)
P.add_argument("--ceiling", required=True)
P.add_argument("--peers-python", default="")
P.add_argument("--peers-script", required=True)
P.add_argument("--work", required=True)
P.add_argument("--n", type=int, default=100000)
P.add_argument("--runs", type=int, default=3)
P.add_argument("--scale", action="store_true")
P.add_argument("--scale10", action="store_true")
P.add_argument("--json")
A = P.parse_args()

GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
STRACE = shutil.which("strace")
COURT = "PN Bench"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def run(cmd, check=True, rss=False, env=None):
    """Runs cmd; returns (wall seconds, stdout, stderr, peak RSS in KiB or None)."""
    tfile = None
    if rss and GNU_TIME:
        tfile = os.path.join(A.work, "time.out")
        cmd = [GNU_TIME, "-v", "-o", tfile] + cmd
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if check and p.returncode != 0:
        raise SystemExit("command failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd), p.stdout[-2000:], p.stderr[-2000:]))
    kib = read_rss(tfile) if tfile else None
    return wall, p.stdout, p.stderr, kib


def read_rss(path):
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
        return int(m.group(1)) if m else None
    except OSError:
        return None


def sk(*args, home=None, **kw):
    cmd = [A.sinkron] + list(args) + (["--home", home] if home else [])
    return run(cmd, **kw)


def db_bytes(home):
    total = 0
    for suffix in ("", "-wal"):
        p = os.path.join(home, "replica.db" + suffix)
        if os.path.exists(p):
            total += os.path.getsize(p)
    return total


def serve(home):
    """Starts `sinkron serve` on home (under GNU time when present); returns (proc, port, time file)."""
    tfile = os.path.join(A.work, "serve-time-%d.out" % os.getpid())
    errpath = os.path.join(home, "serve.stderr")
    cmd = [A.sinkron, "serve", "--home", home, "--listen", "127.0.0.1:0", "--interval", "3600", "--no-discovery"]
    if GNU_TIME:
        cmd = [GNU_TIME, "-v", "-o", tfile] + cmd
    err = open(errpath, "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(errpath).read())
        if m:
            return proc, int(m.group(1)), tfile
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("serve did not start:\n" + open(errpath).read()[-2000:])


def stop(proc, tfile):
    """SIGTERM to sinkron itself (GNU time would die of it otherwise); returns its peak RSS in KiB."""
    target = proc.pid
    if GNU_TIME:
        try:
            kids = open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)).read().split()
            target = int(kids[0]) if kids else proc.pid
        except OSError:
            pass
    os.kill(target, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(target, signal.SIGKILL)
        proc.wait()
    return read_rss(tfile) if GNU_TIME else None


def sync_json(out):
    s = json.loads(out)
    return s[-1] if isinstance(s, list) else s


def desk_fsyncs(desk, trace):
    """`bug file` on desk under strace: its fsync calls, and how many batches (waits for the disk)."""
    if not STRACE:
        return None
    # Writes are traced too: syncs with no write between them are one batch (one wait for
    # the disk: e.g. a commit's WAL sync and the sync of its folder).
    cmd = [STRACE, "-f", "-y", "-o", trace, "-e", "trace=fsync,fdatasync,write,pwrite64", A.sinkron, "bug", "file", "--home", desk,
           "--as", "Bench", "--title", "Tombol strace", "--description", "Saat menyimpan data pihak muncul error 500"]
    run(cmd)
    fs = {"fsync": 0, "fdatasync": 0, "by_file": {}, "batches": 0}
    in_batch = False
    for line in open(trace):
        m = re.search(r"\b(fsync|fdatasync)\(\d+<([^>]*)>", line)
        if m:
            fs[m.group(1)] += 1
            name = os.path.basename(m.group(2)) or m.group(2)
            name = "(directory)" if os.path.isdir(m.group(2)) else name
            fs["by_file"][name] = fs["by_file"].get(name, 0) + 1
            if not in_batch:
                fs["batches"] += 1
                in_batch = True
        elif re.search(r"\b(write|pwrite64)\(\d+<[^>]*(replica\.db|/dev/shm)[^>]*>", line):
            # a write to the replica's files ends a batch (terminal output does not)
            in_batch = False
    return fs


def desk_writes(desk, runs):
    """Whole-process times of `bug file` on desk."""
    return [sk("bug", "file", "--as", "Bench", "--title", "Tombol simpan error %d" % i,
               "--description", "Saat menyimpan data pihak muncul error 500", "--module", "Pendaftaran", home=desk)[0] for i in range(runs)]


def suite10(n, runs):
    """The 10M figures only: the import's time and peak RSS (one run), and desk writes on the result."""
    R = {"n": n, "runs": runs}
    base = os.path.join(A.work, "run-%d" % n)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    home = lambda name: os.path.join(base, name)
    log("N=%d: replica A and a meja-satu desk" % n)
    sk("init", "--court", COURT, "--name", "a", "--role", "staf-ti", home=home("A"))
    inv = os.path.join(base, "desk.invite")
    _, out, _, _ = sk("invite", "--name", "desk", "--role", "meja-satu", "--out", inv, "--json", home=home("A"))
    sk("init", "--invite", inv, "--code", json.loads(out)["code"], home=home("desk"))
    records = max(n // 10, 1)
    log("N=%d: dev fill (%d creates + %d sets; batches of 10,000)" % (n, records, n - records))
    wall, _, _, _ = sk("dev", "fill", "--records", str(records), "--sets", str(n - records), "--batch", "10000", "--bench-values", home=home("A"))
    R["fill"] = {"seconds": wall, "rate": n / wall}
    bundle = os.path.join(base, "a.bundle")
    sk("export", bundle, "--json", home=home("A"))
    shutil.rmtree(home("A"))
    log("N=%d: import x1" % n)
    wall, out, _, kib = sk("import", bundle, "--json", home=home("desk"), rss=True)
    os.remove(bundle)
    applied = sum(json.loads(out)["report"]["applied"].values())
    R["merge"] = {"seconds": wall, "applied": applied, "rate": applied / wall, "peak_rss_kib": kib, "db_bytes": db_bytes(home("desk"))}
    log("N=%d: desk write x%d" % (n, runs))
    desk_ops = json.loads(sk("whoami", "--json", home=home("desk"))[1]).get("operations")
    dw = desk_writes(home("desk"), runs)
    R["desk_write"] = {"seconds": med(dw), "runs": dw, "replica_ops": desk_ops, "fsyncs": desk_fsyncs(home("desk"), os.path.join(base, "desk.strace"))}
    return R


def report10(R, one):
    n, m, d = R["n"], R["merge"], R["desk_write"]
    L = []
    L.append("W(N=%s): import and desk write only (--scale10), fill on A %s ops/s" % (format(n, ","), format(int(R["fill"]["rate"]), ",")))
    L.append("  merge rate          %-18s %.3f s  (one run; %s ops applied)" % (fmt_rate(m["rate"]), m["seconds"], format(m["applied"], ",")))
    if m["peak_rss_kib"] and one and one["merge"]["peak_rss_kib"]:
        r = m["peak_rss_kib"] / one["merge"]["peak_rss_kib"]
        L.append("  peak RSS import     %-18s         ratio %.2fx the 1M import  target <= 1.20x   %s" % ("%.1f MB" % (m["peak_rss_kib"] / 1024), r, verdict(r <= 1.2)))
    L.append("  DB size per op      %.1f B/op" % (m["db_bytes"] / m["applied"]))
    L.append("  desk write time     %-18s         target <= 50 ms    %s  (bug file on a %s-op replica, whole process)" % (
        "%.1f ms" % (d["seconds"] * 1000), verdict(d["seconds"] <= 0.05), format(d["replica_ops"] or 0, ",")))
    fs = d["fsyncs"]
    if fs:
        L.append("  desk write fsyncs   %-18s         target <= 1 batch  %s" % ("%d batch%s" % (fs["batches"], "" if fs["batches"] == 1 else "es"), verdict(fs["batches"] <= 1)))
    return L


def suite(n, runs, desk_only=False):
    """All figures at workload size n. Returns a dict of raw numbers."""
    R = {"n": n, "runs": runs}
    base = os.path.join(A.work, "run-%d" % n)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    home = lambda name: os.path.join(base, name)

    # Replica A and the empty B's, enrolled by invitation before A holds the workload.
    log("N=%d: replica A and %d empty peers" % (n, 2 * runs))
    sk("init", "--court", COURT, "--name", "a", "--role", "staf-ti", home=home("A"))
    bs = ["imp%d" % i for i in range(runs)] + ["syn%d" % i for i in range(runs)] + ["desk"]
    for b in bs:
        inv = os.path.join(base, b + ".invite")
        role = "meja-satu" if b == "desk" else "staf-ti"  # bug reports are filed at meja satu
        _, out, _, _ = sk("invite", "--name", b, "--role", role, "--out", inv, "--json", home=home("A"))
        sk("init", "--invite", inv, "--code", json.loads(out)["code"], home=home(b))
    records = max(n // 10, 1)
    log("N=%d: dev fill (%d creates + %d sets, values 20-40 bytes)" % (n, records, n - records))
    wall, _, _, _ = sk("dev", "fill", "--records", str(records), "--sets", str(n - records), "--batch", "1000",
                       "--bench-values", home=home("A"))
    R["fill"] = {"seconds": wall, "rate": n / wall}
    who = json.loads(sk("whoami", "--json", home=home("A"))[1])
    R["a_operations"] = who.get("operations")
    bundle = os.path.join(base, "a.bundle")
    wall, out, _, _ = sk("export", bundle, "--json", home=home("A"))
    R["export"] = {"seconds": wall, "bundle_bytes": os.path.getsize(bundle), "summary": json.loads(out)}

    # Merge: import A's bundle into an empty B, whole process. Sync: A dials a `serve` on another
    # empty B over loopback; then idle syncs of the equal pair. Each round runs the ceiling (the
    # same N rows upserted by C into SQLite), an import and a sync one after the other, so that
    # the medians compared come from the same minutes of a machine whose speed drifts.
    log("N=%d: %d rounds of ceiling, import (+ verify) and sync (+ idle syncs)" % (n, runs))
    cs, cb = [], None
    imp, rss, applied, verify, sizes, noop = [], [], [], [], [], []
    sy, srss, drss, sums, idle = [], [], [], [], []
    for i in range(runs):
        _, out, _, _ = run([A.ceiling, os.path.join(base, "ceiling.db"), str(n)])
        kv = dict(x.split("=") for x in out.split())
        cs.append(float(kv["seconds"])); cb = int(kv["bytes"])

        h = home("imp%d" % i)
        wall, out, _, kib = sk("import", bundle, "--json", home=h, rss=True)
        rep = json.loads(out)["report"]
        applied.append(sum(rep["applied"].values()))
        imp.append(wall); rss.append(kib); sizes.append(db_bytes(h))
        verify.append(sk("verify", "--quick", "--json", home=h)[0])
        noop.append(sk("whoami", "--json", home=h)[0])

        proc, port, tfile = serve(home("syn%d" % i))
        try:
            wall, out, _, kib = sk("sync", "127.0.0.1:%d" % port, "--json", home=home("A"), rss=True)
            s = sync_json(out)
            sy.append(wall); srss.append(kib); sums.append(s)
            for _ in range(2 if i < runs - 1 else 3):
                w2, out2, _, _ = sk("sync", "127.0.0.1:%d" % port, "--json", home=home("A"))
                s2 = sync_json(out2)
                idle.append({"wall": w2, "durationMs": s2["durationMs"], "bytes": s2["bytesIn"] + s2["bytesOut"],
                             "sent": s2["sent"], "received": s2["received"]})
        finally:
            drss.append(stop(proc, tfile))
    R["ceiling"] = {"seconds": med(cs), "runs": cs, "rate": n / med(cs), "db_bytes": cb, "db_bytes_per_op": cb / n}
    ops = med(applied)
    R["merge"] = {"seconds": med(imp), "runs": imp, "applied": applied, "rate": ops / med(imp), "peak_rss_kib": med(rss),
                  "rss_runs": rss, "db_bytes": med(sizes), "db_bytes_per_op": med(sizes) / ops}
    R["verify"] = {"seconds": med(verify), "runs": verify, "process_floor_seconds": med(noop)}
    sent = med([s["sent"] for s in sums])
    R["sync"] = {"seconds": med(sy), "runs": sy, "sent": sent, "rate": sent / med(sy),
                 "durationMs": med([s["durationMs"] for s in sums]),
                 "bytes_out": med([s["bytesOut"] for s in sums]), "bytes_in": med([s["bytesIn"] for s in sums]),
                 "wire_bytes_per_op": med([s["bytesOut"] for s in sums]) / sent,
                 "client_peak_rss_kib": med(srss), "server_peak_rss_kib": med(drss), "summaries": sums}
    R["idle_sync"] = {"durationMs": med([x["durationMs"] for x in idle]), "bytes": med([x["bytes"] for x in idle]),
                      "wall_seconds": med([x["wall"] for x in idle]), "runs": idle}

    # Desk write: `bug file` on a meja-satu replica holding the workload (A's bundle imported),
    # whole process; fsyncs counted under strace.
    log("N=%d: desk write x%d" % (n, runs))
    sk("import", bundle, home=home("desk"))
    desk_ops = json.loads(sk("whoami", "--json", home=home("desk"))[1]).get("operations")
    dw = desk_writes(home("desk"), runs)
    fs = desk_fsyncs(home("desk"), os.path.join(base, "desk.strace"))
    R["desk_write"] = {"seconds": med(dw), "runs": dw, "replica_ops": desk_ops, "fsyncs": fs}

    # Reading: `list` (one page), `show` and `history` of one record on the desk's replica
    # (N operations, N/10 records), whole process.
    log("N=%d: list, show, history x%d" % (n, runs))
    listing = json.loads(sk("list", "--json", "--all", home=home("desk"))[1])
    rid = listing[len(listing) // 2]["id"]
    Q = {}
    for name, args in (("list", ["list"]), ("show", ["show", rid]), ("history", ["history", rid])):
        times = [sk(*args, home=home("desk"))[0] for _ in range(runs)]
        Q[name] = {"seconds": med(times), "runs": times}
    Q["records"] = len(listing)
    R["reads"] = Q
    return R



def peers(n, runs):
    if not A.peers_python:
        return None
    log("N=%d: peers (loro, pycrdt) x%d" % (n, runs))
    p = subprocess.run([A.peers_python, A.peers_script, str(n), str(runs), os.path.join(A.work, "peers")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": p.stderr[-500:]}
    return json.loads(p.stdout)


# ---------------------------------------------------------------------------------------------

def fmt_rate(r):
    return "%s ops/s" % format(int(round(r)), ",")


def verdict(ok):
    return "PASS" if ok else "FAIL"


def report(R, P):
    n = R["n"]
    c, m, s, i, d = R["ceiling"], R["merge"], R["sync"], R["idle_sync"], R["desk_write"]
    lines = []
    L = lines.append
    L("W(N=%s): %s ops on A (incl. genesis + invitations), median of %d runs" % (format(n, ","), format(R["a_operations"], ","), R["runs"]))
    L("  ceiling rate        %-18s %.3f s  (C + SQLite upsert, 1 txn, WAL, sync=NORMAL)" % (fmt_rate(c["rate"]), c["seconds"]))
    r = m["rate"] / c["rate"]
    L("  merge rate          %-18s %.3f s  ratio %.2fx ceiling      target >= 1.00x   %s" % (fmt_rate(m["rate"]), m["seconds"], r, verdict(r >= 1.0)))
    r = s["rate"] / m["rate"]
    L("  sync rate           %-18s %.3f s  ratio %.2fx merge        target >= 0.95x   %s  (session durationMs %d)" % (fmt_rate(s["rate"]), s["seconds"], r, verdict(r >= 0.95), s["durationMs"]))
    lo = (P or {}).get("loro", {}) if P else {}
    if lo.get("update_bytes"):
        lb = lo["update_bytes"] / lo["ops"]
        r = s["wire_bytes_per_op"] / lb
        L("  wire bytes/op       %-18s         ratio %.2fx Loro update  target <= 0.80x   %s  (Loro %.1f B/op; %s B out for %s ops)" % (
            "%.1f B/op" % s["wire_bytes_per_op"], r, verdict(r <= 0.8), lb, format(s["bytes_out"], ","), format(s["sent"], ",")))
    else:
        L("  wire bytes/op       %-18s         SKIP (Loro not available)" % ("%.1f B/op" % s["wire_bytes_per_op"]))
    L("  idle sync bytes     %-18s         target <= 2048 B   %s" % ("%d B" % i["bytes"], verdict(i["bytes"] <= 2048)))
    L("  idle sync time      %-18s         target <= 20 ms    %s  (whole process %.0f ms)" % ("%d ms" % i["durationMs"], verdict(i["durationMs"] <= 20), i["wall_seconds"] * 1000))
    ms = d["seconds"] * 1000
    L("  desk write time     %-18s         target <= 50 ms    %s  (bug file on a %s-op replica, whole process)" % ("%.1f ms" % ms, verdict(ms <= 50), format(d["replica_ops"], ",")))
    if d["fsyncs"] is not None:
        f = d["fsyncs"]["fsync"] + d["fsyncs"]["fdatasync"]
        b = d["fsyncs"].get("batches", f)
        L("  desk write fsyncs   %-18s         target <= 1 batch  %s  (%d calls: fsync %d, fdatasync %d: %s; strace -f)" % (
            "%d batch%s" % (b, "" if b == 1 else "es"), verdict(b <= 1), f, d["fsyncs"]["fsync"], d["fsyncs"]["fdatasync"],
            ", ".join("%s x%d" % kv for kv in sorted(d["fsyncs"].get("by_file", {}).items()))))
    else:
        L("  desk write fsyncs   n/a (strace not installed)")
    for label, kib in (("import", m["peak_rss_kib"]), ("sync (A, client)", s["client_peak_rss_kib"]), ("sync (B, serve)", s["server_peak_rss_kib"])):
        if kib is None:
            L("  peak RSS %-17s n/a (GNU time not installed)" % label)
        else:
            mb = kib / 1024
            if label == "import":
                L("  peak RSS %-17s %-18s         target <= 100 MB   %s" % (label, "%.1f MB" % mb, verdict(mb <= 100)))
            else:
                L("  peak RSS %-17s %-18s         report only" % (label, "%.1f MB" % mb))
    r = m["db_bytes_per_op"] / c["db_bytes_per_op"]
    L("  DB size per op      %-18s         ratio %.2fx ceiling      target <= 1.50x   %s  (ceiling %.1f B/op)" % (
        "%.1f B/op" % m["db_bytes_per_op"], r, verdict(r <= 1.5), c["db_bytes_per_op"]))
    q = R.get("reads")
    if q:
        for name in ("list", "show", "history"):
            ms = q[name]["seconds"] * 1000
            L("  %-19s %-18s         target <= 30 ms    %s  (whole process; %s records%s)" % (
                name, "%.1f ms" % ms, verdict(ms <= 30), format(q["records"], ","), ", one page" if name == "list" else ""))
    v = R["verify"]
    share = v["seconds"] / m["seconds"]
    share_net = max(v["seconds"] - v["process_floor_seconds"], 0) / max(m["seconds"] - v["process_floor_seconds"], 1e-9)
    L("  chain+sig check     ~%-17s         report only  (`sinkron verify --quick` of B %.3f s / import %.3f s; %.0f%% net of a %.0f ms process floor)" % (
        "%.0f%% of merge" % (share * 100), v["seconds"], m["seconds"], share_net * 100, v["process_floor_seconds"] * 1000))
    L("  bundle              %s B (%.1f B/op); fill on A %s" % (format(R["export"]["bundle_bytes"], ","), R["export"]["bundle_bytes"] / R["a_operations"], fmt_rate(R["fill"]["rate"])))
    if P:
        for name in ("loro", "pycrdt"):
            p = P.get(name, {})
            if "seconds" in p:
                L("  %-8s import+snapshot+fsync %-18s %.3f s  Sinkron merge = %.2fx of %s  (update %.1f B/op, snapshot %.1f B/op)" % (
                    name, fmt_rate(n / p["seconds"]), p["seconds"], m["rate"] / (n / p["seconds"]), name, p["update_bytes"] / n, p["snapshot_bytes"] / n))
            else:
                L("  %-8s SKIP (%s)" % (name, p.get("error", "not installed")))
    else:
        L("  loro     SKIP (peers not installed)")
        L("  pycrdt   SKIP (peers not installed)")
    L("  note: Loro and pycrdt keep their whole state in memory and write one snapshot blob; Sinkron keeps")
    L("        materialised SQL tables, a signed hash-chained operation log and merge bookkeeping in SQLite.")
    return lines


def git(*args):
    try:
        return subprocess.run(["git"] + list(args), capture_output=True, text=True, cwd=os.path.dirname(A.work)).stdout.strip()
    except OSError:
        return ""


def main():
    t0 = time.time()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    out = {"machine": {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                       "sqlite": subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split(" ")[0] if shutil.which("sqlite3") else None},
           "git": {"head": git("rev-parse", "--short", "HEAD"), "dirty": git("status", "--short", "--untracked-files=no").splitlines()},
           "results": []}
    sizes = [A.n] + ([1000000] if (A.scale or A.scale10) and A.n != 1000000 else [])
    print("Sinkron benchmark — %d x %s, %s, tree %s%s" % (os.cpu_count(), cpu, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
          out["git"]["head"], " + uncommitted changes" if out["git"]["dirty"] else ""))
    for n in sizes:
        R = suite(n, A.runs)
        P = peers(n, A.runs)
        R["peers"] = P
        out["results"].append(R)
        print("\n".join(report(R, P)), flush=True)
    if A.scale10:
        R = suite10(10000000, A.runs)
        one = next((r for r in out["results"] if r["n"] == 1000000), None)
        print("\n".join(report10(R, one)), flush=True)
        out["scale10"] = R
    if len(out["results"]) > 1:
        a, b = out["results"][0], out["results"][-1]
        for key, label in ((("merge", "peak_rss_kib"), "import"), (("sync", "client_peak_rss_kib"), "sync client"), (("sync", "server_peak_rss_kib"), "serve")):
            x, y = a[key[0]][key[1]], b[key[0]][key[1]]
            if x and y:
                print("memory flat in N (%s): %.1f MB at N=%s -> %.1f MB at N=%s (%.2fx for %dx the ops)" % (
                    label, x / 1024, format(a["n"], ","), y / 1024, format(b["n"], ","), y / x, b["n"] // a["n"]))
    print("total %.0f s" % (time.time() - t0))
    if A.json:
        with open(A.json, "w") as fh:
            json.dump(out, fh, indent=1)
        print("raw numbers written to %s" % A.json)


main()
