import Foundation
import Replica
import ReplicaTesting

/// Random desk activity of every kind, by every role, including actions the role may not take
/// (the same mix as the replica's convergence property test, on the public API only).
///
/// Every draw comes from the simulation's generator, so a seed replays the same activity.
struct Workload {
    /// Desk refusals the workload provokes on purpose; anything else is a failure.
    static let expectedRefusals: Set<ReplicaError.Code> = [.invalidInput, .notPermitted, .flowFinished, .notFound]
    static let taskSOPs = SOP.catalog.filter { $0.kind == .task && !$0.tableMissing }.map(\.code)

    var records: [(id: RecordID, kind: RecordKind)] = []

    /// A revision of `sop` without its last step (the step before it ends the flow), so that
    /// records pinned to it fold differently from the template's.
    static func shortened(_ sop: SOP) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(sop.definition().utf8)) as? [String: Any],
            var steps = object["steps"] as? [[String: Any]], steps.count > 2,
            let last = steps.last?["n"] as? Int, steps[steps.count - 2]["next"] as? Int == last,
            !steps.dropLast().contains(where: { ($0["decision"] as? [String: Any]).map { "\($0)".contains("\(last)") } ?? false })
        else { return sop.definition() }
        steps.removeLast()
        steps[steps.count - 1]["next"] = NSNull()
        object["steps"] = steps
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return sop.definition() }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Random values

    private func person(_ rng: inout SplitMix64) -> String { rng.chance(30) ? "" : rng.pick(["Budi", "Siti Aminah", "Andi", "Rahmat", "Dewi"]) }
    private func title(_ rng: inout SplitMix64) -> String {
        rng.pick(["SIPP macet", "Relaas tidak tercetak", "Backup gagal", "Server mati", "Jaringan putus", "Jadwal sidang hilang"])
    }
    private func text(_ rng: inout SplitMix64) -> String {
        rng.pick(["sudah dicoba ulang", "muncul error 500", "perlu cek server", "menunggu SATGAS", "sudah normal"]) + (rng.chance(30) ? " \(rng.below(100))" : "")
    }
    private func caseNumber(_ rng: inout SplitMix64) -> String {
        "\(1 + rng.below(300))/\(rng.pick(["Pdt.G", "Pdt.P", "Pdt.G.S", "Pid.B", "Pid.Sus", "Pid.Pra"]))/2026/PN Bls"
    }
    private func date(_ rng: inout SplitMix64) -> String {
        String(format: "2026-%02d-%02d", 1 + rng.below(12), 1 + rng.below(28)) + (rng.chance(30) ? "T16:00" : "")
    }
    /// Few distinct numbers: two numbering nodes apart from each other collide often.
    private func letterNumber(_ rng: inout SplitMix64) -> String { "\(1 + rng.below(8))/KPN.W4-U2/\(rng.pick(["HK2.6", "KP1.2"]))/III/2026" }

    private func value(for field: Field, _ rng: inout SplitMix64) -> String {
        switch field {
        case .title: title(&rng)
        case .description, .notes, .reason, .disposition: text(&rng)
        case .module: rng.pick(["Relaas", "e-Court", "Penahanan", "Jadwal Sidang"])
        case .caseNumber: caseNumber(&rng)
        case .reporter, .assignee: rng.pick(["Budi", "Siti Aminah", "Andi", "Rahmat"])
        case .subject: rng.pick(["Undangan rapat", "Pemberitahuan bug", "Permohonan penghapusan", "Laporan bulanan"])
        case .sender, .recipient: rng.pick(["PT Pekanbaru", "SATGAS SIPP", "Mahkamah Agung", "Badilum"])
        case .classification: rng.pick(["HK2.6", "KP1.2", "OT1.2"])
        case .letterDate, .due: date(&rng)
        case .reference: "W4-U/\(rng.below(500))/2026"
        case .number: letterNumber(&rng)
        case .direction: rng.pick(["masuk", "keluar"])
        case .forRecord: records.isEmpty ? "" : rng.pick(records).id.hex
        }
    }

    private func editableFields(_ kind: RecordKind) -> [Field] { kind.fields.filter { $0 != .direction && $0 != .forRecord && $0 != .number } }

    /// A record this replica holds, with its details (a few random tries).
    private func known(by replica: Replica, _ rng: inout SplitMix64, _ filter: (RecordDetail) -> Bool = { _ in true }) -> (RecordID, RecordKind, RecordDetail)? {
        guard !records.isEmpty else { return nil }
        for _ in 0..<4 {
            let (id, kind) = rng.pick(records)
            if let detail = try? replica.show(id.hex), filter(detail) { return (id, kind, detail) }
        }
        return nil
    }

    /// One user action at `replica` (role `role`, clock reading `now`). Returns its label, with
    /// " refused" when the desk refused it as the workload meant it to. Throws on anything else.
    mutating func act(_ replica: Replica, role: Role, now: UInt64, _ rng: inout SplitMix64) throws -> String {
        // An action that finds nothing to act on gives way to another (at last, filing one).
        for attempt in 0..<3 {
            let draw = records.isEmpty || attempt == 2 ? rng.below(14) : rng.below(100)
            let label = try act(replica, role: role, now: now, draw: draw, &rng)
            if label != "idle" { return label }
        }
        return "idle"
    }

    /// Court data: the admin changes the calendar or the schedules (anyone else is refused), or
    /// a desk makes the scheduled instances due (two desks making one converge to one record).
    private mutating func courtData(_ r: Replica, _ rng: inout SplitMix64) throws -> String {
        let day = String(format: "2026-%02d-%02d", 1 + rng.below(12), 1 + rng.below(28))
        switch rng.below(6) {
        case 0:
            try r.setCourtZone(rng.pick(CourtZone.allCases), author: person(&rng))
            return "set zone"
        case 1:
            try r.addHoliday(date: day, kind: rng.chance(50) ? .libur : .cutiBersama, name: rng.pick(["Hari jadi kabupaten", "Cuti bersama"]), author: person(&rng))
            return "add holiday"
        case 2:
            try r.removeHoliday(date: rng.pick(["2026-01-01", "2026-03-20", "2026-12-24", day]), author: person(&rng))
            return "remove holiday"
        case 3:
            let spans = rng.chance(30) ? [] : [WorkingCalendar.Span((7 + rng.below(2), 30), (12, 0)), WorkingCalendar.Span((13, 0), (16, rng.below(4) * 10))]
            try r.setWorkingHours(weekdays: [1 + rng.below(7)], spans: spans, author: person(&rng))
            return "set hours"
        case 4:
            let name = rng.pick(["backup-harian", "sinkron-mingguan", "laporan-bulanan"])
            if rng.chance(25) {
                try r.removeSchedule(name, author: person(&rng))
                return "remove schedule"
            }
            let every: Schedule.Every = rng.pick(Schedule.Every.allCases)
            try r.addSchedule(
                Schedule(id: name, sop: rng.pick(["BACKUP", "SINKRON", "MONITOR"]), every: every, assignee: rng.pick([.stafTI, .kasubbag, .mejaSatu]), from: "2026-01-01"),
                author: person(&rng))
            return "add schedule"
        default:
            for id in try r.runSchedules(author: person(&rng)) { records.append((id, .task)) }
            return "run schedules"
        }
    }

    private mutating func act(_ replica: Replica, role: Role, now: UInt64, draw: Int, _ rng: inout SplitMix64) throws -> String {
        let r = replica
        switch draw {
        case 0..<14:
            let label: String
            switch rng.below(7) {
            case 6 where rng.chance(50):
                return try courtData(r, &rng)
            case 6:
                // The admin adopts or revises a flow (anyone else is refused): records made after
                // it pin the new version, open ones keep theirs.
                label = "revise flow"
                let code = rng.pick(["BACKUP", "SINKRON", "BUG", "SURAT-KELUAR", "GANGGUAN-SERVER"])
                guard let base = SOP.named(code) else { return "idle" }
                if rng.chance(40) {
                    try r.adoptFlows([code], author: person(&rng))
                } else {
                    try r.reviseFlow(code, definition: rng.chance(50) ? base.definition() : Self.shortened(base), author: person(&rng))
                }
            case 0:
                label = "file bug"
                let id = try r.fileBug(title: title(&rng), description: text(&rng), module: rng.chance(40) ? "Relaas" : nil,
                    caseNumber: rng.chance(40) ? caseNumber(&rng) : nil, reporter: rng.chance(30) ? "Budi" : nil, author: person(&rng))
                records.append((id, .bug))
            case 1:
                label = "file deletion"
                records.append((try r.fileDeletion(caseNumber: caseNumber(&rng), reason: text(&rng), author: person(&rng)), .deletion))
            case 2:
                label = "receive letter"
                let id = try r.receiveLetter(subject: value(for: .subject, &rng), sender: value(for: .sender, &rng), reference: rng.chance(50) ? "W4-U/1/2026" : nil,
                    letterDate: rng.chance(50) ? date(&rng) : nil, disposition: rng.chance(50) ? text(&rng) : nil, author: person(&rng))
                records.append((id, .letter))
            case 3:
                label = "draft letter"
                let target = records.filter { $0.kind == .bug || $0.kind == .deletion }.last { (try? r.resolve($0.id.hex)) != nil }
                let id = try r.draftLetter(subject: value(for: .subject, &rng), recipient: value(for: .recipient, &rng), classification: rng.chance(60) ? "HK2.6" : nil,
                    forRecord: rng.chance(50) ? target.map { String($0.id.hex.prefix(10)) } : nil, author: person(&rng))
                records.append((id, .letter))
            default:
                label = "add task"
                let id = try r.addTask(sop: rng.pick(Self.taskSOPs), title: rng.chance(50) ? title(&rng) : nil, assignee: rng.chance(50) ? "Andi" : nil,
                    due: rng.chance(50) ? date(&rng) : nil, notes: rng.chance(30) ? text(&rng) : nil, author: person(&rng))
                records.append((id, .task))
            }
            return label
        case 14..<40:
            // Usually a step this role may complete; sometimes one it may not.
            let mine = rng.chance(75)
            guard let (id, _, detail) = known(by: r, &rng, { !mine || $0.summary.nextRoles.contains(role.rawValue) }), let current = detail.summary.step, let sop = r.flow(detail.summary.sop),
                let step = sop.step(current)
            else { return "idle" }
            var branch: Branch? = step.decision == nil ? nil : (rng.chance(50) ? .ya : .tidak)
            if rng.chance(4) { branch = branch == nil ? .ya : nil }  // a user who answers wrongly
            _ = try r.completeStep(id.hex, branch: branch, note: rng.chance(30) ? text(&rng) : nil, expectedStep: rng.chance(90) ? current : nil, author: person(&rng))
            return "step"
        case 40..<44:
            guard let (id, _, detail) = known(by: r, &rng) else { return "idle" }
            let step = rng.chance(70) ? (detail.summary.step ?? 1) : 1 + rng.below(10)
            let branch: Branch? = rng.chance(50) ? (rng.chance(50) ? .ya : .tidak) : nil
            _ = try r.commit(author: person(&rng), [.step(record: id, step: step, branch: branch, note: "langsung")])
            return "raw step"
        case 44..<60:
            guard let (id, kind, _) = known(by: r, &rng) else { return "idle" }
            let field = rng.pick(editableFields(kind))
            _ = try r.setField(id.hex, field: field.name, value: value(for: field, &rng), author: person(&rng))
            return "edit"
        case 60..<65:
            guard let (id, kind, _) = known(by: r, &rng) else { return "idle" }
            let field = rng.pick(editableFields(kind))
            _ = try r.commit([.set(record: id, field: field, value: value(for: field, &rng), replaces: [])])
            return "blind edit"
        case 65..<68:
            // A number written straight into the log: valid only from umum-keuangan.
            guard let (id, _, _) = known(by: r, &rng, { $0.summary.kind == "letter" }) else { return "idle" }
            _ = try r.commit([.set(record: id, field: .number, value: letterNumber(&rng), replaces: [])])
            return role == .umumKeuangan ? "raw number" : "forbidden number"
        case 68..<78:
            guard let (id, _, _) = known(by: r, &rng) else { return "idle" }
            try r.comment(id.hex, text: text(&rng), author: person(&rng))
            return "comment"
        case 78..<88:
            let unnumbered = rng.chance(70)
            guard let (id, _, _) = known(by: r, &rng, { $0.summary.kind == "letter" && (!unnumbered || $0.fields["direction"] == "keluar" && $0.fields["number"] == .some(nil)) })
            else { return "idle" }
            if rng.chance(30) {
                try r.numberLetter(id.hex, number: letterNumber(&rng))
            } else {
                try r.numberLetter(id.hex, classification: "KP1.2", now: ManualClock.date(now))
            }
            return "number letter"
        case 88..<91:
            guard let (id, _, _) = known(by: r, &rng, { $0.summary.status != "archived" }) else { return "idle" }
            try r.archive(id.hex, author: person(&rng))
            return "archive"
        case 91..<93:
            let id = RecordID(high: rng.next(), low: rng.next())
            _ = try r.commit([
                .create(record: id, kind: .letter, sop: "SURAT-KELUAR",
                    fields: [FieldValue(.direction, "keluar"), FieldValue(.subject, "Surat langsung"), FieldValue(.number, letterNumber(&rng))])
            ])
            records.append((id, .letter))
            return "raw letter"
        default:
            // Many operations in one commit, signed only every few: runs with unsigned stretches.
            let targets = (0..<3).compactMap { _ in known(by: r, &rng) }
            guard !targets.isEmpty else { return "idle" }
            var bodies: [OperationBody] = []
            for _ in 0..<(3 + rng.below(20)) {
                let (id, kind, detail) = rng.pick(targets)
                switch rng.below(4) {
                case 0: bodies.append(.comment(record: id, text: text(&rng)))
                case 1:
                    let field = rng.pick(editableFields(kind))
                    bodies.append(.set(record: id, field: field, value: value(for: field, &rng), replaces: []))
                case 2: bodies.append(.step(record: id, step: detail.summary.step ?? 1, branch: rng.chance(50) ? Branch.tidak : nil, note: ""))
                default:
                    let task = RecordID(high: rng.next(), low: rng.next())
                    bodies.append(.create(record: task, kind: .task, sop: rng.pick(Self.taskSOPs), fields: [FieldValue(.title, title(&rng))]))
                    records.append((task, .task))
                }
            }
            _ = try r.commit(author: person(&rng), bodies, signEvery: 2 + rng.below(8))
            return "bulk"
        }
    }
}
