#ifndef SINKRON_CSQLITE_SHIM_H
#define SINKRON_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro that casts -1 to a function pointer; Swift cannot import it.
static inline sqlite3_destructor_type sinkron_sqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type sinkron_sqlite_static(void) { return SQLITE_STATIC; }
#endif
