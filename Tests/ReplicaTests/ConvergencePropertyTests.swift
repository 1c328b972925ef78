import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The convergence property: replicas that exchanged the same operations, in any order, through
/// any path, hold identical state — equal digests, byte-equal materialised tables, intact logs.
///
/// `SINKRON_PROPERTY_SEEDS=N` runs N seeds (default 20), `SINKRON_PROPERTY_STEPS=N` N random
/// steps per seed (default 500), `SINKRON_PROPERTY_SEED=S` only seed S.
@Suite("Convergence (property)") struct ConvergencePropertyTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seeds: [UInt64] = {
        if let one = environment["SINKRON_PROPERTY_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["SINKRON_PROPERTY_SEEDS"].flatMap(Int.init) ?? 20
        return (1...UInt64(max(1, count))).map { $0 &* 0x9E37_79B9 }
    }()
    static let steps = environment["SINKRON_PROPERTY_STEPS"].flatMap(Int.init) ?? 500

    @Test(arguments: seeds)
    func randomCourtsConverge(seed: UInt64) throws {
        try Self.check(seed: seed, steps: Self.steps)
    }

    /// Fewer seeds, longer runs: thousands of operations each.
    @Test(arguments: [UInt64(7_001), 7_002, 7_003])
    func longRandomCourtsConverge(seed: UInt64) throws {
        try Self.check(seed: seed, steps: max(Self.steps, 1_500))
    }

    static func check(seed: UInt64, steps: Int) throws {
        let sandbox = try Sandbox("sinkron-property")
        defer { sandbox.remove() }
        let court = try CourtSimulation(seed: seed, sandbox: sandbox)
        do {
            for _ in 0..<steps { try court.step() }
            try court.converge()
        } catch {
            Issue.record("seed \(seed): \(error)\n  rerun with SINKRON_PROPERTY_SEED=\(seed)")
            return
        }
        let all = court.replicas + [court.observer]
        let names = court.nodes.map(\.name) + ["pengamat"]
        let digests = try all.map { try $0.digest() }
        #expect(Set(digests).count == 1, "seed \(seed): digests differ: \(zip(names, digests).map { "\($0)=\($1.prefix(12))" })")
        let reference = try all[0].dumpTables()
        for (name, replica) in zip(names, all).dropFirst() {
            let differences = Replica.differences(reference, try replica.dumpTables())
            #expect(differences.isEmpty, "seed \(seed): \(name) differs from kasubbag: \(differences)")
        }
        for (name, replica) in zip(names, all) {
            let report = try replica.verify()
            #expect(report.ok, "seed \(seed): \(name): \(report.problems)")
            #expect(try !replica.alerts().contains { $0.kind == "fork" || $0.kind == "duplicate-record" }, "seed \(seed): \(name)")
        }
        // A field some valid write has written always shows a value: a refused write never
        // takes the value it named out of the running.
        for kind in RecordKind.allCases {
            for field in kind.fields {
                let empty = try court.observer.rows("SELECT r.rid FROM \(kind.table) t JOIN records r ON r.id = t.id WHERE t.\(field.name) IS NULL")
                let blank = try empty.filter { row in
                    try court.observer.storedWrites(rid: Int64(row[0]) ?? -1, field: field).contains { $0.valid }
                }.count
                #expect(blank == 0, "seed \(seed): \(blank) \(kind.table) rows show no \(field.name) although a valid write set it")
            }
        }
        // Every number a letter shows was given by umum-keuangan.
        let shown = try court.observer.rows("SELECT id FROM letters WHERE number IS NOT NULL").map { $0[0] }
        for id in shown.prefix(20) {
            let history = try court.observer.history(id)
            // The winning number is a set, or else the letter's create carried it.
            let winner = history.first { $0.field == "number" && $0.outcome == "won" } ?? history.first { $0.kind == "create" }
            #expect(winner?.role == Role.umumKeuangan.rawValue, "seed \(seed): letter \(id) shows a number from \(winner?.role ?? "nobody")")
        }
        // The workload did what it is meant to: filed, advanced, edited, numbered and exchanged.
        #expect((reference["bug_reports"]?.count ?? 0) + (reference["tasks"]?.count ?? 0) > 0, "seed \(seed)")
        for key in ["file", "step", "edit", "exchange"] {
            #expect(court.stats[key, default: 0] > 0, "seed \(seed): no successful \(key) in \(court.stats)")
        }
        if environment["SINKRON_PROPERTY_STATS"] != nil {
            print("seed \(seed): \(try court.observer.counts().operations) operations, \(court.stats.sorted { $0.key < $1.key }), conflicts \(reference["conflicts"]?.count ?? 0), steps \(reference["steps"]?.count ?? 0)")
        }
    }
}
