/// Consecutive operations of one origin, the unit that bundles and sync batches carry.
///
/// The last entry always carries the origin's signature over its chain hash, which covers the
/// whole run, so a receiver checks one signature per run. `seq` and the previous hash are
/// implicit: a run continues the receiver's chain at `firstSeq`.
public struct OperationRun: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var hlc: HLC
        public var payload: [UInt8]
        public var signature: [UInt8]?

        public init(hlc: HLC, payload: [UInt8], signature: [UInt8]?) {
            self.hlc = hlc
            self.payload = payload
            self.signature = signature
        }
    }

    public var origin: OriginID
    public var firstSeq: UInt64
    public var entries: [Entry]

    public init(origin: OriginID, firstSeq: UInt64, entries: [Entry]) {
        self.origin = origin
        self.firstSeq = firstSeq
        self.entries = entries
    }

    public var lastSeq: UInt64 { firstSeq + UInt64(entries.count) - 1 }

    /// Most entries one run may hold on the wire or in a bundle.
    public static let maxEntries = 100_000

    package func encode(into w: inout BinaryWriter) {
        w.id(origin)
        w.varint(firstSeq)
        w.varint(UInt64(entries.count))
        var previous: UInt64 = 0
        for e in entries {
            // Clocks rise strictly within an origin, so a delta is small.
            w.varint(e.hlc.raw &- previous)
            previous = e.hlc.raw
            w.data(e.payload)
            if let s = e.signature {
                w.u8(1)
                w.raw(s)
            } else {
                w.u8(0)
            }
        }
    }

    package static func decode(from r: inout BinaryReader) throws -> OperationRun {
        let origin = try r.id()
        let first = try r.varint()
        guard first >= 1 else { throw CodecError.malformed("a run starts at seq 0") }
        let count = try r.varint()
        guard count >= 1, count <= UInt64(maxEntries) else { throw CodecError.malformed("run of \(count) operations is out of range") }
        // Each entry takes at least 3 bytes: refuse counts the input cannot hold before allocating.
        guard count <= UInt64(r.remaining / 3) else { throw CodecError.truncated(at: r.offset) }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var previous: UInt64 = 0
        for _ in 0..<count {
            let delta = try r.varint()
            guard delta > 0 || entries.isEmpty else { throw CodecError.malformed("clock does not rise within the run") }
            let (hlc, overflow) = previous.addingReportingOverflow(delta)
            guard !overflow, hlc >> 63 == 0 else { throw CodecError.malformed("clock out of range") }
            previous = hlc
            let payload = try r.data(limit: Operation.maxPayload)
            let flag = try r.u8()
            guard flag <= 1 else { throw CodecError.malformed("bad signature flag \(flag)") }
            let signature = flag == 1 ? Array(try r.raw(64)) : nil
            entries.append(Entry(hlc: HLC(raw: hlc), payload: payload, signature: signature))
        }
        guard entries.last?.signature != nil else { throw CodecError.malformed("run of origin \(origin.short) ends without a signature") }
        let (_, overflow) = first.addingReportingOverflow(count)
        guard !overflow, first + count < UInt64(Int64.max) else { throw CodecError.malformed("seq out of range") }
        return OperationRun(origin: origin, firstSeq: first, entries: entries)
    }
}
