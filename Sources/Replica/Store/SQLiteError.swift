import CSQLite

/// An error reported by SQLite, with the statement that failed.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (in \(sql.prefix(120)))" }
        return "SQLite error \(code): \(message)"
    }

    /// True for SQLITE_BUSY / SQLITE_LOCKED: another process holds the write lock.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
}
