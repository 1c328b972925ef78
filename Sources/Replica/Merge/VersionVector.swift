import Foundation

/// For each origin, the highest seq held: all two replicas need to tell what the other lacks.
public struct VersionVector: Sendable, Equatable, Codable {
    public var entries: [OriginID: UInt64]

    public init(_ entries: [OriginID: UInt64] = [:]) { self.entries = entries }

    public subscript(origin: OriginID) -> UInt64 {
        get { entries[origin] ?? 0 }
        set { entries[origin] = newValue }
    }

    public var total: UInt64 { entries.values.reduce(0, +) }

    /// True when this vector holds everything `other` holds.
    public func covers(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The compact text form: `origin:seq,origin:seq` (origins in hex).
    public var compact: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key.hex):\($0.value)" }.joined(separator: ",")
    }

    /// Parses the compact form, or the JSON object printed by `sinkron vector --json`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var entries: [OriginID: UInt64] = [:]
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw ReplicaError(.invalidInput, "the vector is not valid JSON", hint: "use the output of `sinkron vector --json`")
            }
            let map = (object["vector"] as? [String: Any]) ?? object
            for (k, v) in map {
                guard let origin = ID128(hex: k), let seq = (v as? NSNumber)?.uint64Value else {
                    throw ReplicaError(.invalidInput, "bad vector entry \"\(k)\"", hint: "entries map a 32-digit origin to a seq")
                }
                entries[origin] = seq
            }
        } else if !trimmed.isEmpty {
            for part in trimmed.split(separator: ",") {
                let pieces = part.split(separator: ":")
                guard pieces.count == 2, let origin = ID128(hex: String(pieces[0])), let seq = UInt64(pieces[1]) else {
                    throw ReplicaError(.invalidInput, "bad vector entry \"\(part)\"", hint: "write ORIGIN:SEQ,ORIGIN:SEQ as printed by `sinkron vector`")
                }
                entries[origin] = seq
            }
        }
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.key.hex, $0.value) }))
    }

    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: UInt64].self)
        entries = Dictionary(uniqueKeysWithValues: map.compactMap { k, v in ID128(hex: k).map { ($0, v) } })
    }

    package func encode(into w: inout BinaryWriter) {
        w.varint(UInt64(entries.count))
        for (origin, seq) in entries.sorted(by: { $0.key < $1.key }) {
            w.id(origin)
            w.varint(seq)
        }
    }

    package static func decode(from r: inout BinaryReader, limit: Int = 100_000) throws -> VersionVector {
        let count = try r.varint()
        guard count <= UInt64(limit), count <= UInt64(r.remaining / 17) else { throw CodecError.malformed("vector of \(count) entries is out of range") }
        var v = VersionVector()
        for _ in 0..<count { v.entries[try r.id()] = try r.varint() }
        return v
    }
}
