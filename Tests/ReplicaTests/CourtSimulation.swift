import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// A court's worth of replicas driven by a seeded random workload: desk commands by every role
/// (allowed or not), raw operations that bypass the desk checks, skewed and jumping clocks,
/// reopened instances, a desk that joins late, and bundles and sync runs moved between random
/// nodes in random order. The same seed replays the same workload (record and node ids are random).
final class CourtSimulation {
    struct Node {
        var name: String
        var role: Role
        var clock: ManualClock
        var replica: Replica
    }

    /// Desk refusals the workload provokes on purpose; anything else is a failure.
    static let expectedRefusals: Set<ReplicaError.Code> = [.invalidInput, .notPermitted, .flowFinished, .notFound]
    static let taskSOPs = SOP.catalog.filter { $0.kind == .task }.map(\.code)

    let seed: UInt64
    var rng: SplitMix64
    let sandbox: Sandbox
    var nodes: [Node] = []
    /// Joined at the start, then left alone: at the end it receives everything in scrambled order.
    let observer: Replica
    var records: [(id: RecordID, kind: RecordKind)] = []
    var stats: [String: Int] = [:]
    private var files = 0
    private var joined = false

    init(seed: UInt64, sandbox: Sandbox) throws {
        self.seed = seed
        self.sandbox = sandbox
        rng = SplitMix64(seed: seed)
        let skews: [Int64] = [0, -180_000, 120_000, 3_600_000, -86_400_000, 30_000, -5_000]
        func clock(_ i: Int) -> ManualClock { ManualClock(UInt64(Int64(ManualClock.start) + skews[i % skews.count])) }
        let adminClock = clock(0)
        let admin = try sandbox.founder("kasubbag", role: .kasubbag, clock: adminClock)
        nodes.append(Node(name: "kasubbag", role: .kasubbag, clock: adminClock, replica: admin))
        let desks: [(String, Role)] = [
            ("meja-satu", .mejaSatu), ("staf-ti", .stafTI), ("ketua", .ketua), ("umum-keuangan", .umumKeuangan), ("umum-keuangan-2", .umumKeuangan),
            ("sekretaris", .sekretaris),
        ]
        for (i, (name, role)) in desks.enumerated() {
            let c = clock(i + 1)
            nodes.append(Node(name: name, role: role, clock: c, replica: try sandbox.member(name, role: role, invitedBy: admin, clock: c)))
        }
        for node in nodes where node.role == .umumKeuangan { try node.replica.setCourtCode("W4-U2") }
        observer = try sandbox.member("pengamat", role: .userSipp, invitedBy: admin, clock: ManualClock())
        // Some replicas merge every batch through a tiny queue and chunks (many spilled runs
        // merged back, records in chunks of 1-5 operations, handed over by the drain's second
        // thread from a few operations on): their tables must not differ.
        let tiny = MergeLimits(
            queueBytes: 300 + Int(seed % 7) * 200, chunkOperations: 1 + Int(seed % 5), logRun: 2 + Int(seed % 6), threadedDrain: Int(seed % 4) * 3)
        for (i, replica) in (replicas + [observer]).enumerated() where (i + Int(seed % 3)) % 2 == 0 { replica.mergeLimits = tiny }
    }

    var replicas: [Replica] { nodes.map(\.replica) }

    private func count(_ key: String) { stats[key, default: 0] += 1 }

    // MARK: Random values

    private func pick<T>(_ items: [T]) -> T { rng.pick(items) }
    private func maybe<T>(_ percent: Int = 50, _ value: @autoclosure () -> T) -> T? { rng.chance(percent) ? value() : nil }
    private func person() -> String { rng.chance(30) ? "" : pick(["Budi", "Siti Aminah", "Andi", "Rahmat", "Dewi"]) }
    private func title() -> String { pick(["SIPP macet", "Relaas tidak tercetak", "Backup gagal", "Server mati", "Jaringan putus", "Jadwal sidang hilang"]) }
    private func text() -> String { pick(["sudah dicoba ulang", "muncul error 500", "perlu cek server", "menunggu SATGAS", "sudah normal"]) + (rng.chance(30) ? " \(rng.below(100))" : "") }
    private func caseNumber() -> String { "\(1 + rng.below(300))/\(pick(["Pdt.G", "Pdt.P", "Pdt.G.S", "Pid.B", "Pid.Sus", "Pid.Pra"]))/2026/PN Bls" }
    private func date() -> String { String(format: "2026-%02d-%02d", 1 + rng.below(12), 1 + rng.below(28)) + (rng.chance(30) ? "T16:00" : "") }
    private func letterNumber() -> String { "\(1 + rng.below(40))/KPN.W4-U2/\(pick(["HK2.6", "KP1.2"]))/III/2026" }

    private func value(for field: Field) -> String {
        switch field {
        case .title: title()
        case .description, .notes, .reason, .disposition: text()
        case .module: pick(["Relaas", "e-Court", "Penahanan", "Jadwal Sidang"])
        case .caseNumber: caseNumber()
        case .reporter, .assignee: pick(["Budi", "Siti Aminah", "Andi", "Rahmat"])
        case .subject: pick(["Undangan rapat", "Pemberitahuan bug", "Permohonan penghapusan", "Laporan bulanan"])
        case .sender, .recipient: pick(["PT Pekanbaru", "SATGAS SIPP", "Mahkamah Agung", "Badilum"])
        case .classification: pick(["HK2.6", "KP1.2", "OT1.2"])
        case .letterDate, .due: date()
        case .reference: "W4-U/\(rng.below(500))/2026"
        case .number: letterNumber()
        case .direction: pick(["masuk", "keluar"])
        case .forRecord: records.isEmpty ? "" : pick(records).id.hex
        }
    }

    // MARK: Steps

    /// Runs a desk command; a refusal the workload provoked must leave the replica unchanged.
    private func desk(_ node: Node, _ label: String, _ body: () throws -> Void) throws {
        let before = try node.replica.vector()
        do {
            try body()
            count("\(label)")
        } catch let error as ReplicaError where Self.expectedRefusals.contains(error.code) {
            count("\(label) refused")
            #expect(try node.replica.vector() == before, "seed \(seed): refused \(label) on \(node.name) wrote operations: \(error)")
        }
    }

    /// A record this node holds, with its details (a few random tries).
    private func known(by node: Node, _ filter: (RecordDetail) -> Bool = { _ in true }) -> (RecordID, RecordKind, RecordDetail)? {
        guard !records.isEmpty else { return nil }
        for _ in 0..<4 {
            let (id, kind) = pick(records)
            if let detail = try? node.replica.show(id.hex), filter(detail) { return (id, kind, detail) }
        }
        return nil
    }

    func step() throws {
        for node in nodes {
            if rng.chance(30) { node.clock.advance(by: UInt64(rng.below(90_000))) }
            if rng.chance(3) { node.clock.rewind(by: UInt64(rng.below(600_000))) }
        }
        let node = pick(nodes)
        switch rng.below(100) {
        case 0..<9: try file(node)
        case 9..<27: try advance()
        case 27..<30: try rawStep(node)
        case 30..<46: try edit(node)
        case 46..<50: try blindEdit(node)
        case 50..<53: try refusedNumber()
        case 53..<62: try comment(node)
        case 62..<67: try number()
        case 67..<69: try archive(node)
        case 69..<70: try rawLetter(node)
        case 72..<77: try bulk(node)
        case 70..<71: try reopen()
        case 71..<72 where !joined: try join()
        case 77..<80: try courtData(node)
        default: try exchange()
        }
    }

    private func file(_ node: Node) throws {
        let r = node.replica
        try desk(node, "file") {
            let id: RecordID
            let kind: RecordKind
            switch rng.below(6) {
            case 0:
                (id, kind) = (try r.fileBug(title: title(), description: text(), module: maybe(40, "Relaas"), caseNumber: maybe(40, caseNumber()), reporter: maybe(30, "Budi"), author: person()), .bug)
            case 1: (id, kind) = (try r.fileDeletion(caseNumber: caseNumber(), reason: text(), author: person()), .deletion)
            case 2:
                (id, kind) = (try r.receiveLetter(subject: value(for: .subject), sender: value(for: .sender), reference: maybe(50, "W4-U/1/2026"), letterDate: maybe(50, date()), disposition: maybe(50, text()), author: person()), .letter)
            case 3:
                let target = records.filter { $0.kind == .bug || $0.kind == .deletion }.last { (try? r.resolve($0.id.hex)) != nil }
                (id, kind) = (try r.draftLetter(subject: value(for: .subject), recipient: value(for: .recipient), classification: maybe(60, "HK2.6"), forRecord: rng.chance(50) ? target.map { String($0.id.hex.prefix(10)) } : nil, author: person()), .letter)
            default:
                (id, kind) = (try r.addTask(sop: pick(Self.taskSOPs), title: maybe(50, title()), assignee: maybe(50, "Andi"), due: maybe(50, date()), notes: maybe(30, text()), author: person()), .task)
            }
            records.append((id, kind))
        }
    }

    /// Completes the current step of a record, usually at a node whose role may do it.
    private func advance() throws {
        guard !records.isEmpty else { return }
        let (id, kind) = pick(records)
        var candidates = rng.shuffled(nodes)
        if rng.chance(70) {
            candidates = candidates.filter { node in
                (try? node.replica.show(id.hex)).map { $0.summary.nextRoles.contains(node.role.rawValue) } ?? false
            }
        }
        guard let node = candidates.first, let detail = try? node.replica.show(id.hex), let current = detail.summary.step,
            let sop = node.replica.flow(detail.summary.sop), let step = sop.step(current)
        else { return }
        var branch: Branch? = step.decision == nil ? nil : (rng.chance(50) ? .ya : .tidak)
        if rng.chance(4) { branch = branch == nil ? .ya : nil }  // a user who answers wrongly
        // Only umum-keuangan numbers letters; the staff's sending step (seed 004 SOP 11, step 8) needs the number.
        if kind == .letter, node.role == .umumKeuangan, detail.fields["direction"] == "keluar",
            detail.fields["number"] == .some(nil)
        {
            try desk(node, "number") { try node.replica.numberLetter(id.hex, classification: "HK2.6", now: ManualClock.date(node.clock.now())) }
        }
        try desk(node, "step") {
            try node.replica.completeStep(id.hex, branch: branch, note: maybe(30, text()), expectedStep: current, author: person())
        }
    }

    /// A step written straight into the log, usually by a role the SOP does not allow.
    private func rawStep(_ node: Node) throws {
        guard let (id, _, detail) = known(by: node) else { return }
        let step = rng.chance(70) ? (detail.summary.step ?? 1) : 1 + rng.below(10)
        try node.replica.commit(author: person(), [.step(record: id, step: step, branch: maybe(50, rng.chance(50) ? Branch.ya : .tidak), note: "langsung")])
        count("raw step")
    }

    private func editableFields(_ kind: RecordKind) -> [Field] { kind.fields.filter { $0 != .direction && $0 != .forRecord && $0 != .number } }

    private func edit(_ node: Node) throws {
        guard let (id, kind, _) = known(by: node) else { return }
        let field = pick(editableFields(kind))
        try desk(node, "edit") { _ = try node.replica.setField(id.hex, field: field.name, value: value(for: field), author: person()) }
    }

    /// A write that replaces nothing: concurrent with every other write of the field.
    private func blindEdit(_ node: Node) throws {
        guard let (id, kind, _) = known(by: node) else { return }
        let field = pick(editableFields(kind))
        try node.replica.commit([.set(record: id, field: field, value: value(for: field), replaces: [])])
        count("blind edit")
    }

    /// A letter number written by a role that may not give one: refused by every replica.
    private func refusedNumber() throws {
        let node = pick(nodes.filter { $0.role != .umumKeuangan })
        guard let (id, _, _) = known(by: node, { $0.summary.kind == "letter" }) else { return }
        try node.replica.commit([.set(record: id, field: .number, value: letterNumber(), replaces: try node.replica.currentHeads(id, field: .number))])
        count("refused number")
    }

    private func comment(_ node: Node) throws {
        guard let (id, _, _) = known(by: node) else { return }
        try desk(node, "comment") { try node.replica.comment(id.hex, text: text(), author: person()) }
    }

    private func number() throws {
        let node = pick(nodes.filter { $0.role == .umumKeuangan })
        guard let (id, _, _) = known(by: node, { $0.fields["direction"] == "keluar" && $0.fields["number"] == .some(nil) }) else { return }
        try desk(node, "number") {
            if rng.chance(20) {
                try node.replica.numberLetter(id.hex, number: letterNumber())
            } else {
                try node.replica.numberLetter(id.hex, classification: "KP1.2", now: ManualClock.date(node.clock.now()))
            }
        }
    }

    private func archive(_ node: Node) throws {
        guard let (id, _, _) = known(by: node, { $0.summary.status != "archived" }) else { return }
        try desk(node, "archive") { try node.replica.archive(id.hex, author: person()) }
    }

    /// A letter created with its number in one raw operation (valid only from umum-keuangan).
    private func rawLetter(_ node: Node) throws {
        let id = RecordID(high: rng.next(), low: rng.next())
        try node.replica.commit([
            .create(record: id, kind: .letter, sop: "SURAT-KELUAR", fields: [FieldValue(.direction, "keluar"), FieldValue(.subject, "Surat langsung"), FieldValue(.number, letterNumber())])
        ])
        records.append((id, .letter))
        count("raw letter")
    }

    /// Court data: the admin revises a flow, changes the calendar or a schedule (anyone else is
    /// refused); any desk makes the scheduled instances due (made twice, they are one record).
    private func courtData(_ node: Node) throws {
        let r = node.replica
        let day = String(format: "2026-%02d-%02d", 1 + rng.below(12), 1 + rng.below(28))
        switch rng.below(7) {
        case 0: try desk(node, "set zone") { try r.setCourtZone(pick(CourtZone.allCases), author: person()) }
        case 1: try desk(node, "add holiday") { try r.addHoliday(date: day, kind: rng.chance(50) ? .libur : .cutiBersama, name: "Hari jadi", author: person()) }
        case 2: try desk(node, "remove holiday") { try r.removeHoliday(date: pick(["2026-01-01", "2026-12-24", day]), author: person()) }
        case 3:
            try desk(node, "set hours") {
                try r.setWorkingHours(weekdays: [1 + rng.below(7)], spans: rng.chance(30) ? [] : [WorkingCalendar.Span((8, 0), (11 + rng.below(4), 0))], author: person())
            }
        case 4:
            let name = pick(["backup-harian", "monitor-mingguan"])
            try desk(node, "schedule") {
                if rng.chance(25) { try r.removeSchedule(name, author: person()) } else {
                    try r.addSchedule(
                        Schedule(id: name, sop: pick(["BACKUP", "MONITOR"]), every: pick(Schedule.Every.allCases), assignee: pick([.stafTI, .kasubbag]), from: "2026-01-01"),
                        author: person())
                }
            }
        case 5:
            let code = pick(["BACKUP", "MONITOR", "BUG"])
            try desk(node, "revise flow") {
                guard let sop = r.flow(code + "@1") else { return }
                try r.reviseFlow(code, definition: sop.definition(), author: person())
            }
        default:
            try desk(node, "run schedules") { for id in try r.runSchedules(author: person()) { records.append((id, .task)) } }
        }
    }

    /// Many operations in one commit, signed only every few (a bulk import or `dev fill`): runs
    /// then hold unsigned stretches and may only be cut at a signed operation.
    private func bulk(_ node: Node) throws {
        var bodies: [OperationBody] = []
        let targets = (0..<3).compactMap { _ in known(by: node) }
        guard !targets.isEmpty else { return }
        for _ in 0..<(5 + rng.below(40)) {
            let (id, kind, detail) = pick(targets)
            switch rng.below(4) {
            case 0: bodies.append(.comment(record: id, text: text()))
            case 1:
                let field = pick(editableFields(kind))
                bodies.append(.set(record: id, field: field, value: value(for: field), replaces: try node.replica.currentHeads(id, field: field)))
            case 2: bodies.append(.step(record: id, step: detail.summary.step ?? 1, branch: maybe(50, Branch.tidak), note: ""))
            default:
                let task = RecordID(high: rng.next(), low: rng.next())
                bodies.append(.create(record: task, kind: .task, sop: pick(Self.taskSOPs), fields: [FieldValue(.title, title())]))
                records.append((task, .task))
            }
        }
        guard !bodies.isEmpty else { return }
        try node.replica.commit(author: person(), bodies, signEvery: 3 + rng.below(20))
        count("bulk")
    }

    /// A fresh instance on the same home, as the next CLI command would open.
    private func reopen() throws {
        let i = rng.below(nodes.count)
        nodes[i].replica = try sandbox.reopen(nodes[i].name, clock: nodes[i].clock)
        count("reopen")
    }

    private func join() throws {
        joined = true
        let clock = ManualClock(ManualClock.start + 7_200_000)
        nodes.append(Node(name: "meja-dua", role: .mejaSatu, clock: clock, replica: try sandbox.member("meja-dua", role: .mejaSatu, invitedBy: nodes[0].replica, clock: clock)))
        count("join")
    }

    // MARK: Exchanges

    private func check(_ report: ApplyReport, gapsAllowed: Bool = false) {
        #expect(report.forks.isEmpty, "seed \(seed): \(report.forks)")
        #expect(report.revoked.isEmpty, "seed \(seed): \(report.revoked)")
        if !gapsAllowed { #expect(report.gaps.isEmpty, "seed \(seed): \(report.gaps)") }
    }

    private func bundlePath() -> String {
        files += 1
        return sandbox.path("flashdisk-\(files).sinkron")
    }

    func exchange() throws {
        let pair = rng.shuffled(Array(nodes.indices)).prefix(3).map { nodes[$0].replica }
        let (a, b, c) = (pair[0], pair[1], pair[2])
        switch rng.below(7) {
        case 0: check(try Exchange.bundle(from: a, to: b, via: bundlePath()).report)
        case 1: check(try Exchange.runs(from: a, to: b, runSize: 1 + rng.below(40)))
        case 2: check(try Exchange.bundle(from: a, to: b, via: bundlePath(), full: true).report)
        case 3:
            check(try Exchange.runs(from: a, to: b))
            check(try Exchange.runs(from: b, to: c))
        case 4:
            check(try Exchange.runs(from: a, to: b))
            check(try Exchange.runs(from: b, to: a))
        case 5: try shuffledBundles(into: b)
        default:
            // As a sync session streams: bounded batches from the peer's vector until nothing is
            // left. Half the time with the merge deferred, as a session's are, and then sometimes
            // left unmerged (a session cut off by a crash), for the next write to merge.
            let limit = 1 + rng.below(60)
            let deferred = rng.chance(50)
            for round in 0... {
                // Bounded: every batch must move the peer's vector on.
                guard round < 100_000 else { throw ReplicaError(.storage, "seed \(seed): batches from the peer's vector do not end") }
                let batch = try a.nextBatch(after: try b.vector(), maxOperations: limit)
                if batch.isEmpty { break }
                #expect(batch.allSatisfy { $0.entries.last?.signature != nil }, "seed \(seed)")
                check(try b.apply(batch, deferMerge: deferred))
            }
            #expect(try b.vector().covers(a.vector()), "seed \(seed): batches stopped before the peer had everything")
            if deferred && rng.chance(70) { try b.mergeUnmerged() }
        }
        count("exchange")
    }

    /// Several flash disks for one node, imported in random order; one holds only later
    /// operations of a source, so until its earlier bundle is in, it is a gap.
    private func shuffledBundles(into target: Replica) throws {
        let sources = rng.subset(replicas.filter { $0 !== target }, percent: 40)
        var paths: [String] = []
        for source in sources {
            let path = bundlePath()
            try source.exportBundle(to: path, since: target.vector())
            paths.append(path)
            if rng.chance(50) {
                let before = try source.vector()
                guard let node = nodes.first(where: { $0.replica === source }) else { continue }
                try comment(node)
                let later = bundlePath()
                try source.exportBundle(to: later, since: before)
                paths.append(later)
            }
        }
        for path in rng.shuffled(paths + rng.subset(paths, percent: 30)) {
            check(try target.importBundle(from: path).report, gapsAllowed: true)
        }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    // MARK: The end

    /// Everyone syncs until equal; the observer gets it all in scrambled runs first.
    func converge() throws {
        try Exchange.meshUntilEqual(replicas)
        var pending: [OperationRun] = []
        try nodes[0].replica.missingRuns(since: observer.vector(), runSize: 1 + rng.below(25)) { pending.append($0) }
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            precondition(rounds < 100_000)
            var batch = rng.subset(pending, percent: 30)
            if batch.isEmpty { batch = [rng.pick(pending)] }
            check(try observer.apply(rng.shuffled(batch)), gapsAllowed: true)
            let held = try observer.vector()
            pending = pending.filter { $0.lastSeq > held[$0.origin] }
        }
        try Exchange.meshUntilEqual(replicas + [observer])
    }
}
