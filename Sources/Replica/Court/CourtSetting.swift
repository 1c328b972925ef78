import Foundation

/// One piece of court data the admin keeps, as a signed, replicated operation: the court's time
/// zone, its office hours per weekday, its closed days (national holidays, cuti bersama) and its
/// schedules of routine work. Each key is a last-writer-wins register ordered by (hlc, origin,
/// seq) among the admin's writes, so every replica that holds the same operations reads the same
/// calendar and the same schedules, whatever release it runs.
///
/// Keys (values are plain text; an empty value clears the key):
/// - `zone`: WIB, WITA or WIT.
/// - `hours/N` (N = weekday, 1 = Sunday … 7 = Saturday): `08:00-12:00,13:00-16:30`, or `off`.
/// - `holiday/yyyy-MM-dd`: `libur<TAB>name` or `cuti-bersama<TAB>name`.
/// - `holiday-source/yyyy`: where that year's list comes from.
/// - `schedule/ID`: a schedule of routine work (see `Schedule`).
public struct CourtSetting: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    static let maxKey = 96
    static let maxValue = 16 * 1024

    func encode(into w: inout BinaryWriter) {
        w.string(key)
        w.string(value)
    }

    static func decode(_ r: inout BinaryReader) throws -> CourtSetting {
        let key = try r.string(limit: maxKey)
        guard !key.isEmpty else { throw CodecError.malformed("a court setting has an empty key") }
        return CourtSetting(key: key, value: try r.string(limit: maxValue))
    }
}

/// Where court settings live in the replica: every write the admin signed (in the digest).
enum CourtData {
    static let table = """
        CREATE TABLE IF NOT EXISTS court_settings (
            key TEXT NOT NULL,
            hlc INTEGER NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            author TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (key, hlc, origin, seq)
        ) WITHOUT ROWID;
        """
}

/// A court setting's current value, with who wrote it and when.
public struct CourtSettingValue: Sendable, Equatable {
    public var key: String
    public var value: String
    public var hlc: UInt64
    public var author: String
    public var op: String
}

extension Database {
    /// The current value of every key starting with `prefix` (cleared keys included, value ""):
    /// per key, the write with the greatest (hlc, origin, seq).
    func courtSettings(prefix: String = "") throws -> [String: CourtSettingValue] {
        var out: [String: CourtSettingValue] = [:]
        try cached("SELECT key, value, hlc, author, origin, seq FROM court_settings WHERE key >= ? AND key < ? ORDER BY key, hlc, origin, seq")
            .bind(.text(prefix), .text(prefix + "\u{10FFFF}")).forEach { r in
                let key = r.text(0)
                out[key] = CourtSettingValue(key: key, value: r.text(1), hlc: UInt64(r.int(2)), author: r.text(3), op: "\(r.text(4)):\(r.int(5))")
            }
        return out
    }
}
