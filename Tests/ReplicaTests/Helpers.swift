import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Builds signed runs by hand, the way a forger or a forked copy would: a chain continued from
/// `previous` and signed at its last entry by `sign` (which may hold the wrong key).
func handBuiltRun(
    origin: OriginID, firstSeq: UInt64, previous: [UInt8], after hlc: HLC, author: String = "",
    bodies: [OperationBody], sign: (_ seq: UInt64, _ hash: [UInt8]) throws -> [UInt8]
) throws -> OperationRun {
    var hash = previous
    var clock = hlc
    var entries: [OperationRun.Entry] = []
    for (i, body) in bodies.enumerated() {
        let seq = firstSeq + UInt64(i)
        clock = HLC(raw: clock.raw + 1)
        let payload = Operation(origin: origin, seq: seq, hlc: clock, author: author, body: body).encodePayload()
        hash = Chain.next(previous: hash, origin: origin, seq: seq, hlc: clock, payload: payload)
        entries.append(OperationRun.Entry(hlc: clock, payload: payload, signature: i == bodies.count - 1 ? try sign(seq, hash) : nil))
    }
    return OperationRun(origin: origin, firstSeq: firstSeq, entries: entries)
}

extension Replica {
    /// The runs this replica would send to a peer holding `since`, grouped by origin.
    func runsByOrigin(since: VersionVector = VersionVector(), runSize: Int = 10_000) throws -> [OriginID: [OperationRun]] {
        var out: [OriginID: [OperationRun]] = [:]
        try missingRuns(since: since, runSize: runSize) { out[$0.origin, default: []].append($0) }
        return out
    }

    /// The chain hash this replica holds for an origin's head.
    func headHash(of origin: OriginID) -> [UInt8] { origins[origin]?.headHash ?? Chain.initialHash(origin: origin) }

    /// The clock reading of an origin's op as stored here.
    func storedHLC(_ origin: OriginID, seq: UInt64) throws -> HLC {
        guard let stored = try logEntry(origin, seq: seq) else { throw ReplicaError(.notFound, "no op \(origin.short):\(seq)") }
        return stored.hlc
    }
}

/// Expects `body` to throw a `ReplicaError` with this code (and, if given, a message containing `text`).
func code(_ expected: ReplicaError.Code, containing text: String? = nil, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard let e = error as? ReplicaError, e.code == expected else { return false }
        return text.map { e.message.contains($0) } ?? true
    }
}

