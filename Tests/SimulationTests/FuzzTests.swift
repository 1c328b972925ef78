import Crypto
import Foundation
import Replica
import SimulationTesting
import SyncSession
import Synchronization
import Testing

/// Seeded mutation fuzzing of the wire (frame decoder, session state machine, driver, replica)
/// and of bundle import. `SINKRON_FUZZ_RUNS=N` runs N inputs per target (default 5,000 for
/// the session, 15,000 for bundles), `SINKRON_FUZZ_SEED=S` changes the seed. `scripts/fuzz`
/// wraps this.
@Suite("Fuzzing: mutated sessions and bundles", .serialized)
struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let runs = environment["SINKRON_FUZZ_RUNS"].flatMap(Int.init)
    static let seed = environment["SINKRON_FUZZ_SEED"].flatMap(UInt64.init) ?? 1

    static func rechecksum(_ body: [UInt8]) -> [UInt8] { body + Array(SHA256.hash(data: body)) }

    static func report(_ name: String, _ report: FuzzReport, seconds: Double) {
        for failure in report.failures.prefix(20) { Issue.record(Comment(rawValue: "\(name): \(failure)")) }
        print("fuzz \(name): \(report.inputs) inputs in \(String(format: "%.1f", seconds)) s, \(report.rejected) rejected, \(report.restored) applied something and were rolled back, "
            + "slowest input \(String(format: "%.1f", report.slowestMs)) ms, max resident \(report.maxResidentMB) MB, \(report.failures.count) failures")
        if environment["SINKRON_FUZZ_STATS"] != nil { print("fuzz \(name) outcomes: \(report.outcomes.sorted { $0.value > $1.value }.prefix(25))") }
        print("\(report.inputs) inputs, 0 crashes")
    }

    @Test("the recorded sessions replay, unmutated, to a finished session on every victim")
    func replay() throws {
        let outcomes = try SessionFuzzer(seed: 1).replayUnmutated()
        #expect(outcomes == ["ok", "ok", "ok", "ok"])
    }

    @Test("session: mutated recorded sessions never crash, hang, or change the replica when refused")
    func session() throws {
        let runs = Self.runs ?? 5_000
        let started = Date()
        // Two workers, each with its own court.
        let seeds = [Self.seed, Self.seed &+ 0x5EED]
        let parts = [runs / 2 + runs % 2, runs / 2]
        let checkpoint = Self.environment["SINKRON_FUZZ_CHECKPOINT"]
        let total = Mutex(FuzzReport())
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            guard parts[worker] > 0 else { return }
            do {
                let fuzzer = try SessionFuzzer(seed: seeds[worker])
                let report = fuzzer.run(iterations: parts[worker]) { i in
                    // Where a crash happened: the last checkpoint of each worker.
                    if let checkpoint { try? "seed \(seeds[worker]) input \(i)\n".write(toFile: checkpoint + ".\(worker)", atomically: true, encoding: .utf8) }
                }
                total.withLock { $0.merge(report) }
            } catch {
                total.withLock { $0.failures.append("setting up: \(error)") }
            }
        }
        Self.report("session", total.withLock { $0 }, seconds: Date().timeIntervalSince(started))
    }

    @Test("bundle: mutated real bundles are refused whole or applied validly")
    func bundle() throws {
        let runs = Self.runs ?? 15_000
        let started = Date()
        let fuzzer = try BundleFuzzer(seed: Self.seed, rechecksum: Self.rechecksum)
        Self.report("bundle", fuzzer.run(iterations: runs), seconds: Date().timeIntervalSince(started))
    }
}
