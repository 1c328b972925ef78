import Foundation
import SimulationTesting
import Testing

/// Deterministic simulation of a court under faults: see `Simulation`.
///
/// `SINKRON_SIM_SEEDS=N` runs N seeds (default 200) from `SINKRON_SIM_START=S` (default 1);
/// `SINKRON_SIM_SEED=S` replays only seed S (`SINKRON_SIM_TRACE=1` prints every event);
/// `SINKRON_SIM_NODES` and `SINKRON_SIM_ACTIONS` size the world. `scripts/simulate` wraps this.
@Suite("Simulation: replicas converge under a faulty network")
struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment

    static var seeds: [UInt64] {
        if let one = environment["SINKRON_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = environment["SINKRON_SIM_SEEDS"].flatMap(UInt64.init) ?? 200
        let start = environment["SINKRON_SIM_START"].flatMap(UInt64.init) ?? 1
        return count == 0 ? [] : Array(start..<(start + count))
    }

    static var options: Simulation.Options {
        var options = Simulation.Options()
        if let n = environment["SINKRON_SIM_NODES"].flatMap(Int.init) { options.nodes = max(3, n) }
        if let n = environment["SINKRON_SIM_ACTIONS"].flatMap(Int.init) { options.actions = n }
        options.trace = environment["SINKRON_SIM_TRACE"] != nil
        return options
    }

    /// Runs one seed; a world of 4 or 5 nodes and 40–70 actions unless told otherwise.
    static func simulate(_ seed: UInt64) -> Simulation.Result {
        var options = Self.options
        if environment["SINKRON_SIM_NODES"] == nil { options.nodes = 4 + Int(seed % 2) }
        if environment["SINKRON_SIM_ACTIONS"] == nil { options.actions = 40 + Int((seed &* 0x9E37_79B9) % 31) }
        do {
            return try Simulation(seed: seed, options: options).run()
        } catch {
            var result = Simulation.Result(seed: seed)
            result.failures = ["setting up the court failed: \(error)"]
            return result
        }
    }

    @Test("every seed converges with nothing lost")
    func seeds() async throws {
        let seeds = Self.seeds
        let started = Date()
        // Two workers (the machine has two cores); each seed is independent.
        let results = await withTaskGroup(of: [Simulation.Result].self) { group in
            let workers = min(2, max(1, seeds.count))
            for worker in 0..<workers {
                let mine = stride(from: worker, to: seeds.count, by: workers).map { seeds[$0] }
                group.addTask { mine.map { Self.simulate($0) } }
            }
            var all: [Simulation.Result] = []
            for await part in group { all += part }
            return all.sorted { $0.seed < $1.seed }
        }
        var totals: [String: Int] = [:]
        var operations = 0
        var faults = 0
        for result in results {
            operations += result.operations
            faults += result.faults
            for (key, value) in result.stats { totals[key, default: 0] += value }
            if !result.ok {
                let message = "seed \(result.seed) failed:\n  " + result.failures.prefix(10).joined(separator: "\n  ")
                    + "\n  replay: \(Simulation.replayCommand(seed: result.seed))"
                print(message)
                Issue.record(Comment(rawValue: message))
            }
        }
        let failed = results.filter { !$0.ok }.count
        let seconds = Date().timeIntervalSince(started)
        print("simulation: \(results.count) seeds in \(String(format: "%.1f", seconds)) s; \(operations) operations in converged logs, "
            + "\(totals["action", default: 0]) user actions (\(totals["refused", default: 0]) refused), \(totals["session", default: 0]) sessions "
            + "(\(totals["session failed", default: 0]) failed under faults), \(faults) faults injected")
        print("simulation faults: " + ["cut", "stall", "crash", "crash after apply", "peer vanished", "partition", "clock jump", "reopen"]
            .map { "\($0) \(totals[$0, default: 0])" }.joined(separator: ", ")
            + "; conflicts \(totals["conflicts", default: 0]) (\(totals["conflicts won by the earlier write", default: 0]) won by the earlier write, "
            + "largest clock error deciding one \(results.map { $0.stats["largest clock error deciding a conflict (s)"] ?? 0 }.max() ?? 0) s), "
            + "number collisions \(totals["number collisions", default: 0])")
        if Self.environment["SINKRON_SIM_STATS"] != nil { print("simulation stats: \(totals.sorted { $0.key < $1.key })") }
        print("\(results.count - failed) passed, \(failed) failed")
    }

    /// A seed is the whole run: ids, keys, invitation codes, clocks, faults and the order of
    /// events all come from it, so two runs of one seed write the same logs, byte for byte.
    @Test("one seed run twice writes the same logs byte for byte", arguments: [7 as UInt64, 4242])
    func seedReplaysExactly(seed: UInt64) throws {
        var options = Simulation.Options()
        options.nodes = 4
        options.actions = 50
        options.keepLogs = true
        let first = try Simulation(seed: seed, options: options).run()
        let second = try Simulation(seed: seed, options: options).run()
        #expect(first.ok && second.ok, "\(first.failures) \(second.failures)")
        #expect(first.logs.count == 4 && first.operations > 50, "\(first.logs.keys) \(first.operations) operations")
        #expect(first.logs.keys.sorted() == second.logs.keys.sorted())
        for (node, log) in first.logs {
            let other = second.logs[node] ?? ""
            // Compared as bytes, then reported by line (not as two dumps of the whole log).
            let same = Array(log.utf8) == Array(other.utf8)
            #expect(same, "node \(node): logs differ from line \(zip(log.split(separator: "\n"), other.split(separator: "\n")).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        }
        #expect(first.stats == second.stats)
        // And another seed writes another log (so the comparison can fail).
        let third = try Simulation(seed: seed + 1, options: options).run()
        let differs = third.logs["kasubbag"] != first.logs["kasubbag"]
        #expect(differs)
    }
}
