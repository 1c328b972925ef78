import CSQLite
import Foundation

/// A SQLite connection that owns its pointer and its prepared statements.
///
/// Not `Sendable`: a connection belongs to the thread that opened it.
package final class Database {
    /// How long a statement waits for another connection's lock before it fails.
    private static let busyTimeoutMs: Int32 = 10_000
    package let path: String
    private(set) var handle: OpaquePointer?
    private var cache: [String: Statement] = [:]

    /// Process-wide SQLite settings, made once before the first connection opens.
    private static let configured: Void = { _ = sinkron_sqlite_configure() }()

    package init(path: String, readOnly: Bool = false, create: Bool = true) throws {
        Self.configured
        self.path = path
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        flags |= SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Desk commands and the daemon share the file: wait for the writer instead of failing.
        sqlite3_busy_timeout(db, Self.busyTimeoutMs)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    package func close() {
        cache.removeAll()
        sqlite3_close_v2(handle)
        handle = nil
    }

    /// Leaves the WAL as it is when this connection closes (no checkpoint, no sync of the
    /// database file): committed transactions are already durable in the WAL, and SQLite's
    /// automatic checkpoint folds it into the database file as it grows.
    package func keepWALOnClose() throws {
        let rc = sinkron_sqlite_no_checkpoint_on_close(handle)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Folds the whole WAL into the database file and truncates it to nothing, unless another
    /// connection reads or writes at this moment: then it folds what it can and leaves the rest
    /// to SQLite's own checkpoints. It never waits for anyone.
    package func truncateWALIfIdle() {
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, Self.busyTimeoutMs) }
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
    }

    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    package var changes: Int { Int(sqlite3_changes(handle)) }

    package func error(_ rc: Int32, sql: String? = nil) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? "error"
            sqlite3_free(errmsg)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// A prepared statement, cached for the life of the connection.
    package func cached(_ sql: String) throws -> Statement {
        if let statement = cache[sql] {
            statement.reset()
            return statement
        }
        let statement = try Statement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// A prepared statement used once.
    package func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `body` in one write transaction (BEGIN IMMEDIATE), rolling back if it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a read transaction so that it sees one consistent snapshot.
    package func read<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// Copies the whole database into `destination` with SQLite's online backup API.
    package func backup(to destination: Database) throws {
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw destination.error(sqlite3_errcode(destination.handle))
        }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, 256)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else { throw destination.error(finish) }
    }
}
