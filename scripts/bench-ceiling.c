/* The SQLite ceiling for scripts/bench: the cheapest durable storage of W(N)'s facts.
 * Upserts N rows (record, field, value, clock, origin) over N/10 records, 10 fields each,
 * values 20-40 bytes, with one prepared statement in one transaction (WAL,
 * synchronous=NORMAL), timed from open until the database is closed.
 * Usage: bench-ceiling DB N [SEED]   prints: seconds=S rows=N bytes=SIZE */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t state;
static uint64_t next(void) { /* SplitMix64 */
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) { fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db)); exit(1); }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s DB N [SEED]\n", argv[0]); return 64; }
    const char *path = argv[1];
    long n = atol(argv[2]);
    state = argc > 3 ? strtoull(argv[3], 0, 10) : 1;
    long records = n / 10 > 0 ? n / 10 : 1;
    /* Record ids (16 random bytes) and the origin are made before the clock starts. */
    unsigned char (*ids)[16] = malloc(records * 16);
    for (long i = 0; i < records; i++) { uint64_t a = next(), b = next(); memcpy(ids[i], &a, 8); memcpy(ids[i] + 8, &b, 8); }
    unsigned char origin[16]; { uint64_t a = next(), b = next(); memcpy(origin, &a, 8); memcpy(origin + 8, &b, 8); }
    unlink(path);
    char side[4096]; snprintf(side, sizeof side, "%s-wal", path); unlink(side); snprintf(side, sizeof side, "%s-shm", path); unlink(side);

    double start = now();
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE fields(record BLOB NOT NULL, field INTEGER NOT NULL, value TEXT NOT NULL,"
        " clock INTEGER NOT NULL, origin BLOB NOT NULL, PRIMARY KEY(record, field));", 0, 0, 0), db, "schema");
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db, "INSERT INTO fields(record, field, value, clock, origin) VALUES(?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(record, field) DO UPDATE SET value = excluded.value, clock = excluded.clock, origin = excluded.origin"
        " WHERE excluded.clock > clock", -1, &st, 0), db, "prepare");
    check(sqlite3_exec(db, "BEGIN", 0, 0, 0), db, "begin");
    char value[64];
    for (long i = 0; i < n; i++) {
        /* The first N/10 rows create the records (like Sinkron's creates), the rest edit them. */
        long r = i < records ? i : (long)(next() % (uint64_t)records);
        int field = i < records ? 1 : 1 + (int)(next() % 10);
        int len = 20 + (int)(next() % 21);
        int k = snprintf(value, sizeof value, "value %ld %llu", i, (unsigned long long)(next() % 1000000007ull));
        if (k > len) k = len;
        while (k < len) value[k++] = 'x';
        sqlite3_bind_blob(st, 1, ids[r], 16, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, field);
        sqlite3_bind_text(st, 3, value, len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, i + 1);
        sqlite3_bind_blob(st, 5, origin, 16, SQLITE_STATIC);
        check(sqlite3_step(st), db, "step");
        sqlite3_reset(st);
    }
    check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    sqlite3_finalize(st);
    check(sqlite3_close(db), db, "close");
    double seconds = now() - start;
    struct stat s; long long size = stat(path, &s) == 0 ? (long long)s.st_size : -1;
    printf("seconds=%.6f rows=%ld bytes=%lld\n", seconds, n, size);
    free(ids);
    return 0;
}
