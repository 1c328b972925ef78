import CSQLite
import Foundation

/// A prepared statement that owns its `sqlite3_stmt`.
package final class Statement {
    private unowned let database: Database
    private let sql: String
    private var handle: OpaquePointer?

    init(database: Database, sql: String) throws {
        self.database = database
        self.sql = sql
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard rc == SQLITE_OK else { throw database.error(rc, sql: sql) }
    }

    deinit { sqlite3_finalize(handle) }

    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Resets without clearing the bindings: for a caller that binds every parameter again
    /// before the next step (clearing 320 parameters of a multi-row INSERT is not free).
    package func resetKeepingBindings() {
        sqlite3_reset(handle)
    }

    // MARK: Binding (1-based indexes)

    @discardableResult
    package func bind(_ values: SQLValue...) -> Statement {
        for (offset, value) in values.enumerated() { bind(value, at: Int32(offset + 1)) }
        return self
    }

    package func bind(_ value: SQLValue, at index: Int32) {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .int(let v): sqlite3_bind_int64(handle, index, v)
        case .text(let v): sqlite3_bind_text(handle, index, v, -1, sinkron_sqlite_transient())
        case .blob(let v):
            v.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), sinkron_sqlite_transient())
            }
        }
    }

    package func bind(int value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }

    /// Binds UTF-8 text SQLite does not copy, on the same terms as `bind(uncopiedBlob:at:)`.
    package func bind(uncopiedText bytes: UnsafeRawBufferPointer, at index: Int32) {
        let start = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(handle, index, start, Int32(bytes.count), sinkron_sqlite_static())
    }

    /// Binds bytes SQLite does not copy: they must stay unchanged until the statement is stepped
    /// and reset, and the parameter must be bound again before any later step.
    package func bind(uncopiedBlob bytes: UnsafeRawBufferPointer, at index: Int32) {
        sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), sinkron_sqlite_static())
    }

    package func bind(text value: String, at index: Int32) {
        sqlite3_bind_text(handle, index, value, -1, sinkron_sqlite_transient())
    }

    // MARK: Stepping

    /// Steps once; true when a row is available.
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(rc, sql: sql)
        }
    }

    /// Runs a statement that returns no rows.
    package func run() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Calls `body` for each row.
    package func forEach(_ body: (Row) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while try step() { try body(Row(handle: handle)) }
    }

    /// Calls `body` for each row until it returns false.
    package func scan(_ body: (Row) throws -> Bool) throws {
        defer { sqlite3_reset(handle) }
        while try step() {
            if try !body(Row(handle: handle)) { return }
        }
    }

    /// Maps every row.
    package func map<T>(_ body: (Row) throws -> T) throws -> [T] {
        var out: [T] = []
        try forEach { out.append(try body($0)) }
        return out
    }

    /// The first row, mapped, or nil.
    package func first<T>(_ body: (Row) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try body(Row(handle: handle))
    }
}

/// A value bound to or read from SQLite.
package enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    package static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
}

/// A view of the current row of a statement; valid only inside the callback.
package struct Row {
    let handle: OpaquePointer?

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    package func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    package func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }

    package func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: p)
    }

    package func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    package func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: count))
    }

    /// Calls `body` with the blob's bytes without copying them.
    package func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let count = Int(sqlite3_column_bytes(handle, column))
        let p = sqlite3_column_blob(handle, column)
        return try body(UnsafeRawBufferPointer(start: count > 0 ? p : nil, count: count))
    }

    package func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .int(int(column))
        case SQLITE_BLOB: .blob(blob(column))
        default: .text(text(column))
        }
    }

    package var columnCount: Int32 { sqlite3_column_count(handle) }
    package func name(_ column: Int32) -> String { String(cString: sqlite3_column_name(handle, column)) }
}
