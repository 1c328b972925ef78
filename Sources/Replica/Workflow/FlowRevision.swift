import Foundation
import Synchronization

/// One revision of a court's SOP book: the admin adopts a flow (version 1, usually from a shipped
/// template), revises it (a new version, e.g. a new SOP book year) or retires it. Records pin the
/// version they were created under ("CODE@N" in their create), and the fold reads that version's
/// definition from the replica, so replicas on releases with different templates agree.
public struct FlowRevision: Sendable, Equatable {
    public var code: String
    public var version: Int
    /// The flow, as one flow object of the template file format (JSON); empty: the flow is retired.
    public var definition: String

    public init(code: String, version: Int, definition: String) {
        self.code = code
        self.version = version
        self.definition = definition
    }

    public var retires: Bool { definition.isEmpty }

    static let maxDefinition = 60 * 1024

    func encode(into w: inout BinaryWriter) {
        w.string(code)
        w.varint(UInt64(version))
        w.string(definition)
    }

    static func decode(_ r: inout BinaryReader) throws -> FlowRevision {
        let code = try r.string(limit: 64)
        let version = try r.varint()
        guard (1...100_000).contains(version) else { throw CodecError.malformed("flow version \(version) out of range") }
        return FlowRevision(code: code, version: Int(version), definition: try r.string(limit: maxDefinition))
    }
}

/// A record's reference to its flow: `CODE` (the shipped template, for records made before the
/// court adopted its book) or `CODE@N` (version N of the court's book).
public struct FlowPin: Sendable, Hashable {
    public var code: String
    public var version: Int?

    public init(_ text: String) {
        if let at = text.lastIndex(of: "@"), let v = Int(text[text.index(after: at)...]) {
            code = String(text[..<at])
            version = v
        } else {
            code = text
            version = nil
        }
    }

    public var text: String { version.map { "\(code)@\($0)" } ?? code }
}

/// Where the SOP book lives in the replica: one row per flow revision the admin published.
/// (`table` is schema 1's form; migration 3 makes it a rowid table with the same columns.)
enum FlowBook {
    static let table = "CREATE TABLE IF NOT EXISTS sop_flows (\(columns)) WITHOUT ROWID;"

    /// The columns and primary key, in both forms of the table.
    static let columns = """

            code TEXT NOT NULL,
            version INTEGER NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            author TEXT NOT NULL,
            definition TEXT NOT NULL,
            PRIMARY KEY (code, version, origin, seq)

        """

    /// Decoded definitions by their text: a definition never changes once published.
    private static let cache = Mutex<[String: SOP]>([:])

    /// Decodes one flow definition with the checks of the template file.
    static func sop(from definition: String) throws -> SOP {
        if let hit = cache.withLock({ $0[definition] }) { return hit }
        let file = "{\"format\": \(SOPTemplates.format), \"flows\": [\(definition)]}"
        let sops = try SOPTemplates.decode(Data(file.utf8))
        guard sops.count == 1, let sop = sops.first else {
            throw ReplicaError(.invalidInput, "a flow definition holds one flow", hint: "give one flow object")
        }
        cache.withLock { $0[definition] = sop }
        return sop
    }
}


extension Database {
    /// The published revisions of a flow, oldest first; of two with one version (published from
    /// two origins of the admin), the earlier counts.
    func flowRevisions(_ code: String) throws -> [(version: Int, hlc: UInt64, op: String, author: String, definition: String)] {
        var seen: Set<Int> = []
        return try cached("SELECT version, hlc, origin, seq, author, definition FROM sop_flows WHERE code = ? ORDER BY version, hlc, origin, seq")
            .bind(.text(code)).map { r in (Int(r.int(0)), UInt64(r.int(1)), "\(r.text(2)):\(r.int(3))", r.text(4), r.text(5)) }
            .filter { seen.insert($0.version).inserted }
    }

    /// The flow a record's `sop` names, always a definition held in this replica, never the
    /// binary's templates (so replicas on releases with different templates fold alike):
    /// `CODE@N` is version N of the court's book; an unpinned `CODE` (a record made before the
    /// court adopted the flow, by an older release) follows the earliest version of the code in
    /// the book. Nil while the replica holds no such version (not received yet, or never
    /// adopted): the record waits, unfolded, until the revision arrives.
    func flow(_ pin: String) -> SOP? {
        let pin = FlowPin(pin)
        let sql = pin.version == nil
            ? "SELECT definition FROM sop_flows WHERE code = ? AND definition <> '' ORDER BY version, hlc, origin, seq LIMIT 1"
            : "SELECT definition FROM sop_flows WHERE code = ? AND version = ? ORDER BY hlc, origin, seq LIMIT 1"
        let values: [SQLValue] = [.text(pin.code)] + (pin.version.map { [.int(Int64($0))] } ?? [])
        guard let statement = try? cached(sql) else { return nil }
        for (i, v) in values.enumerated() { statement.bind(v, at: Int32(i + 1)) }
        guard let definition = try? statement.first({ $0.text(0) }), !definition.isEmpty else { return nil }
        return try? FlowBook.sop(from: definition)
    }
}
