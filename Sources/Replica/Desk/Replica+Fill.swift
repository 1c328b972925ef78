/// Bulk writes for crash tests and benchmarks (`sinkron dev fill`).
extension Replica {
    /// Creates `records` bug reports, then writes `sets` field edits spread over them, in
    /// transactions of `batch` operations. Calls `committed` with the running total after each
    /// commit: everything reported there is durable.
    /// With `benchValues`, each edit's value is 20–40 bytes long (the benchmark workload).
    public func fill(records: Int, sets: Int, batch: Int, seed: UInt64, benchValues: Bool = false,
                     committed: (Int) throws -> Void) throws {
        var rng = SplitMix64(seed: seed)
        var ids: [RecordID] = []
        var bodies: [OperationBody] = []
        var total = 0
        // Each edit replaces the previous write of its field, as a desk user's edit would.
        var last: [RecordID: [Field: OpID]] = [:]
        var next = (origins[origin]?.maxSeq ?? 0) + 1
        func flush() throws {
            guard !bodies.isEmpty else { return }
            try commit(bodies)
            total += bodies.count
            bodies.removeAll(keepingCapacity: true)
            try committed(total)
        }
        func add(_ body: OperationBody) throws {
            bodies.append(body)
            next += 1
            if bodies.count >= batch { try flush() }
        }
        for i in 0..<records {
            let id = RecordID(high: rng.next(), low: rng.next())
            ids.append(id)
            last[id] = [.title: OpID(origin: origin, seq: next)]
            try add(.create(record: id, kind: .bug, sop: "BUG", fields: [FieldValue(.title, "record \(i)")]))
        }
        let fields: [Field] = [.title, .description, .module, .reporter]
        for i in 0..<sets where !ids.isEmpty {
            let record = ids[Int(rng.next() % UInt64(ids.count))]
            let field = fields[Int(rng.next() % UInt64(fields.count))]
            let replaces = last[record]?[field].map { [$0] } ?? []
            last[record, default: [:]][field] = OpID(origin: origin, seq: next)
            var value = "value \(i) \(rng.next() % 1_000_000_007)"
            if benchValues {
                let length = 20 + Int(rng.next() % 21)
                value = value.count >= length ? String(value.prefix(length)) : value + String(repeating: "x", count: length - value.count)
            }
            try add(.set(record: record, field: field, value: value, replaces: replaces))
        }
        try flush()
    }
}

/// A small, fast, seedable generator (public domain SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
