/// Rows for one INSERT, gathered and written `rowsPerStatement` at a time by a multi-row
/// `VALUES (…), (…), …`: SQLite's statement machinery (bind, step, reset) then runs once per 32
/// rows instead of once per row. Whoever reads rows of the table that may still be gathered must
/// call `flush()` first; the merge does so before it reads the log, when it forgets cached field
/// writes (see `Applier.clearWriteCache`), and at the end of each run.
///
/// `INSERT OR FAIL`, not the default ABORT: a statement that may abort half-way after writing
/// some rows makes SQLite copy every page it touches into a statement journal first, so that it
/// can undo its own rows. For 32 rows spread over a B-tree that is one 16 KiB copy per page,
/// spilled to a temporary file beyond 64 KiB: 1.5 GB of writes for a 100,000-operation import.
/// FAIL stops at the failing row and keeps the rows before it; that is safe here because every
/// caller runs inside `Database.transaction`, which rolls the whole batch back on the error.
final class RowBuffer {
    static let rowsPerStatement = 32
    private let columns: Int
    private let single: Statement
    private let multi: Statement
    private var values: [SQLValue] = []

    init(_ db: Database, table: String, columns: [String]) throws {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let insert = "INSERT OR FAIL INTO \(table)(\(columns.joined(separator: ", "))) VALUES "
        single = try db.cached(insert + row)
        multi = try db.cached(insert + Array(repeating: row, count: Self.rowsPerStatement).joined(separator: ","))
        self.columns = columns.count
        values.reserveCapacity(columns.count * Self.rowsPerStatement)
    }

    var isEmpty: Bool { values.isEmpty }

    /// Adds the next value of the row being gathered (in the column order given at init).
    func put(_ value: SQLValue) { values.append(value) }

    /// Ends the row: `put` was called once per column since the last `endRow`.
    func endRow() throws {
        if values.count == columns * Self.rowsPerStatement { try flush() }
    }

    /// Writes every gathered row.
    func flush() throws {
        guard !values.isEmpty else { return }
        defer { values.removeAll(keepingCapacity: true) }
        if values.count == columns * Self.rowsPerStatement {
            try run(multi, from: 0, rows: Self.rowsPerStatement)
        } else {
            for start in stride(from: 0, to: values.count, by: columns) { try run(single, from: start, rows: 1) }
        }
    }

    private func run(_ statement: Statement, from start: Int, rows: Int) throws {
        statement.reset()
        for i in 0..<(rows * columns) { statement.bind(values[start + i], at: Int32(i + 1)) }
        try statement.run()
    }
}
