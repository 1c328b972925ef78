#ifndef SINKRON_CSQLITE_SHIM_H
#define SINKRON_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro that casts -1 to a function pointer; Swift cannot import it.
static inline sqlite3_destructor_type sinkron_sqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type sinkron_sqlite_static(void) { return SQLITE_STATIC; }
// sqlite3_db_config is variadic: Swift cannot call it.
static inline int sinkron_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
// sqlite3_config is variadic too. Without memory statistics (which nothing here reads), SQLite
// takes no global mutex on every allocation. Must run before the first connection opens.
static inline int sinkron_sqlite_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
