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
}
