import Foundation
import Replica

/// Moving operations between replicas the ways the program does: bundles on a "flash disk"
/// and the runs a sync session streams.
public enum Exchange {
    /// Exports what `to` lacks from `from` into a bundle file and imports it into `to`.
    @discardableResult
    public static func bundle(from: Replica, to: Replica, via path: String, full: Bool = false) throws -> ImportReport {
        try from.exportBundle(to: path, since: full ? nil : to.vector())
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try to.importBundle(from: path)
    }

    /// Streams the runs `to` lacks from `from` (no file), in runs of about `runSize` operations.
    @discardableResult
    public static func runs(from: Replica, to: Replica, runSize: Int = 10_000) throws -> ApplyReport {
        var runs: [OperationRun] = []
        try from.missingRuns(since: to.vector(), runSize: runSize) { runs.append($0) }
        return try to.apply(runs)
    }

    /// Syncs every ordered pair until all vectors are equal (a full mesh, as a LAN converges).
    /// Returns the number of rounds it took.
    @discardableResult
    public static func meshUntilEqual(_ replicas: [Replica], maxRounds: Int = 4) throws -> Int {
        for round in 1...maxRounds {
            for a in replicas {
                for b in replicas where a !== b { try runs(from: a, to: b) }
            }
            let first = try replicas[0].vector()
            if try replicas.allSatisfy({ try $0.vector() == first }) { return round }
        }
        throw ReplicaError(.storage, "replicas did not reach equal vectors in \(maxRounds) rounds")
    }

    /// Every origin's genesis to every replica, so that all know each other (and their `nodes` tables match).
    public static func introduce(_ replicas: [Replica]) throws {
        try meshUntilEqual(replicas)
    }
}
