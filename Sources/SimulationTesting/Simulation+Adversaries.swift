import Foundation
import Replica
import ReplicaTesting

/// Two adversaries that are not nodes of the simulated LAN: an outsider with a court of its own
/// under the same name, and a member that lies about its role. Both inject operations at random
/// through bundles (applied to a member as `sinkron import` would) and through the members'
/// relays; after healing, `checkAdversaries` requires that no outsider operation is in any table
/// of any member and that none of the liar's steps counted.
final class Adversaries {
    /// Founded its own "PN Bengkalis" on a PC of its own: another root, the same name.
    let outsider: Replica
    /// Enrolled as meja-satu; its replica says staf-ti (meta edited, then copied to a new folder,
    /// so it writes under a new origin whose genesis claims staf-ti).
    let liar: Replica
    let liarRole: Role = .mejaSatu
    var injected = 0

    init(homes: SimulationHomes, admin: Replica, clock: ManualClock) throws {
        outsider = try homes.replica("outsider", role: .mejaSatu, clock: clock)
        let enrolled = try homes.member("liar", role: liarRole, invitedBy: admin, clock: clock)
        try enrolled.executeRaw("UPDATE meta SET value = 'staf-ti' WHERE key = 'role'")
        let copy = homes.home("liar-copy")
        try FileManager.default.copyItem(atPath: homes.home("liar"), toPath: copy)
        liar = try homes.reopen("liar-copy", clock: clock)
    }
}

extension Simulation {
    /// One adversary move: learn record ids from a member, write to them, and get the writes into
    /// a member's replica by bundle.
    func adversaryMove() {
        guard let adversaries, let member = rng.pickOptional(nodes.filter { $0.replica != nil }), let replica = member.replica else { return }
        do {
            let records = try replica.list().filter { $0.status == "open" }
            switch rng.below(4) {
            case 0:
                // The outsider writes to real records (it saw their ids on a screen) and files its own.
                if let record = rng.pickOptional(records), let id = ID128(hex: record.id) {
                    _ = try adversaries.outsider.commit([
                        .set(record: id, field: .title, value: "palsu-\(rng.below(1000))", replaces: []),
                        .step(record: id, step: record.step ?? 2, branch: rng.chance(50) ? .ya : .tidak, note: "palsu"),
                        .comment(record: id, text: "palsu"),
                    ])
                } else {
                    _ = try adversaries.outsider.fileBug(title: "palsu-\(rng.below(1000))", description: "dari luar")
                }
                count("outsider writes")
            case 1:
                // The liar syncs with a member (it is one), then performs a step its role may not.
                try Exchange.runs(from: replica, to: adversaries.liar)
                let theirs = try adversaries.liar.list().filter { $0.status == "open" && !$0.nextRoles.contains(adversaries.liarRole.rawValue) }
                if let record = rng.pickOptional(theirs), let id = ID128(hex: record.id), let step = record.step {
                    _ = try adversaries.liar.commit([.step(record: id, step: step, branch: rng.chance(50) ? .ya : .tidak, note: "bukan haknya")])
                    count("liar steps")
                }
            case 2:
                // A member imports the outsider's bundle (all of it: the member holds none of it).
                var runs: [OperationRun] = []
                try adversaries.outsider.missingRuns(since: VersionVector()) { runs.append($0) }
                let report = try replica.apply(runs)
                if report.appliedTotal > 0 { fail("\(member.name) applied \(report.appliedTotal) operations of the outsider") }
                count("outsider bundles")
            default:
                // A member imports the liar's bundle.
                try Exchange.runs(from: adversaries.liar, to: replica)
                count("liar bundles")
            }
            adversaries.injected += 1
        } catch {
            fail("an adversary move at \(member.name) failed unexpectedly: \(error)")
        }
    }

    /// No outsider operation in any table of any member; none of the liar's steps counted, and
    /// those it made at the step a record was at are marked unauthorized.
    func checkAdversaries() {
        guard let adversaries else { return }
        let outsiderNode = adversaries.outsider.identity.node.hex
        let liarNode = adversaries.liar.identity.node.hex
        for node in nodes {
            guard let replica = node.replica else { continue }
            do {
                let origins = try replica.rows("SELECT lower(hex(origin)) FROM origins WHERE lower(hex(node)) = '\(outsiderNode)'")
                if !origins.isEmpty { fail("\(node.name) holds the outsider's origin in its log") }
                let leaked = try replica.scalar(
                    """
                    SELECT (SELECT count(*) FROM nodes WHERE node = '\(outsiderNode)')
                         + (SELECT count(*) FROM comments WHERE text = 'palsu')
                         + (SELECT count(*) FROM steps WHERE note = 'palsu')
                         + (SELECT count(*) FROM bug_reports WHERE title LIKE 'palsu-%')
                    """) ?? 0
                if leaked != 0 { fail("\(node.name) has \(leaked) rows written by the outsider") }
                let liarSteps = try replica.rows("SELECT s.status FROM steps s JOIN nodes n ON n.origin = s.origin WHERE n.node = '\(liarNode)'")
                for row in liarSteps where row[0] == "ok" || row[0] == "missing-branch" {
                    fail("\(node.name) counts a step the liar (enrolled \(adversaries.liarRole.rawValue)) had no right to: \(row[0])")
                }
                result.stats["liar steps marked unauthorized", default: 0] += liarSteps.filter { $0[0] == "unauthorized" }.count
            } catch {
                fail("checking \(node.name) for adversaries failed: \(error)")
            }
        }
    }
}

extension SplitMix64 {
    mutating func pickOptional<T>(_ items: [T]) -> T? { items.isEmpty ? nil : pick(items) }
}
