#!/usr/bin/env python3
"""Peers for scripts/bench: Loro and pycrdt on the same workload W(N).

A makes N map updates over N/10 records (nested map per record, 10 fields, values 20-40 bytes,
the first N/10 updates create the records), exports its update; B imports it and writes a
durable snapshot (write + fsync). Timed: import + snapshot + write + fsync. Both keep their whole
state in memory. Prints one JSON object: {peer: {seconds, update_bytes, snapshot_bytes, ...}}.
Usage: bench-peers.py N RUNS DIR
"""
import json, os, statistics, sys, time


def splitmix(seed):
    state = seed
    mask = (1 << 64) - 1
    while True:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        yield z ^ (z >> 31)


def workload(n, seed=1):
    """The same ops as bench-ceiling.c: (record id hex, field name, value)."""
    rng = splitmix(seed)
    records = max(n // 10, 1)
    ids = ["%016x%016x" % (next(rng), next(rng)) for _ in range(records)]
    next(rng); next(rng)  # origin, as in the C program
    ops = []
    for i in range(n):
        if i < records:
            r, f = i, 1
        else:
            r = next(rng) % records
            f = 1 + next(rng) % 10
        length = 20 + next(rng) % 21
        v = "value %d %d" % (i, next(rng) % 1000000007)
        v = v[:length] if len(v) >= length else v + "x" * (length - len(v))
        ops.append((ids[r], "f%d" % f, v, i < records))
    return ops


def durable(path, data):
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def loro_run(ops, path):
    import loro
    a = loro.LoroDoc()
    root = a.get_map("records")
    maps = {}
    for k, (rid, field, value, create) in enumerate(ops):
        m = maps.get(rid)
        if m is None:
            m = maps[rid] = root.insert_container(rid, loro.LoroMap())
        m.insert(field, value)
        if k % 1000 == 999:
            a.commit()
    a.commit()
    update = a.export(loro.ExportMode.Updates(loro.VersionVector()))
    start = time.perf_counter()
    b = loro.LoroDoc()
    b.import_(update)
    snap = b.export(loro.ExportMode.Snapshot())
    durable(path, snap)
    seconds = time.perf_counter() - start
    return seconds, len(update), len(snap)


def pycrdt_run(ops, path):
    import pycrdt
    a = pycrdt.Doc()
    root = a.get("records", type=pycrdt.Map)
    maps = {}
    for start in range(0, len(ops), 1000):
        with a.transaction():
            for rid, field, value, create in ops[start:start + 1000]:
                m = maps.get(rid)
                if m is None:
                    root[rid] = pycrdt.Map()
                    m = maps[rid] = root[rid]
                m[field] = value
    update = a.get_update()
    start = time.perf_counter()
    b = pycrdt.Doc()
    b.apply_update(update)
    snap = b.get_update()
    durable(path, snap)
    seconds = time.perf_counter() - start
    return seconds, len(update), len(snap)


def main():
    n, runs, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    ops = workload(n)
    out = {}
    for name, fn in (("loro", loro_run), ("pycrdt", pycrdt_run)):
        try:
            results = [fn(ops, os.path.join(folder, name + ".snapshot")) for _ in range(runs)]
        except Exception as e:  # missing package or API change: the driver prints SKIP
            out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
            continue
        secs = [r[0] for r in results]
        out[name] = {"seconds": statistics.median(secs), "runs": secs, "update_bytes": results[0][1],
                     "snapshot_bytes": results[0][2], "ops": n}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
