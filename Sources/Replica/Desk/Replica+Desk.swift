import Foundation

/// The result of completing a step: where the flow is now.
public struct StepOutcome: Sendable, Codable, Equatable {
    public var record: String
    public var completed: Int
    public var activity: String
    public var branch: String?
    /// The step the flow is at now; nil when the flow has ended.
    public var next: Int?
    public var nextActivity: String?
    public var nextRoles: [String]
}

/// What desk users do: file records, advance their flows, edit, comment, archive.
/// Every method validates its input first and writes in one transaction.
extension Replica {
    func newRecord(_ kind: RecordKind, sop flow: (sop: SOP, pin: String), fields: [FieldValue], completeStart: Bool, author: String, id: RecordID? = nil) throws -> RecordID {
        let sop = flow.sop
        let record = id ?? entropy.id()
        var bodies: [OperationBody] = [.create(record: record, kind: kind, sop: flow.pin, fields: fields)]
        if completeStart {
            guard let first = sop.step(sop.start), first.actors.contains(enrolledRole) else {
                let roles = sop.step(sop.start)?.actors.map(\.rawValue).joined(separator: " or ") ?? "?"
                throw ReplicaError(
                    .notPermitted, "\(sop.title) is started by \(roles) (\(sop.source), step \(sop.start)); this node is \(enrolledRole.rawValue)",
                    hint: "file it from a \(roles) desk")
            }
            bodies.append(.step(record: record, step: sop.start, branch: nil, note: ""))
        }
        try commit(author: author, bodies)
        return record
    }

    /// The flow a new record of `code` follows: the court's current version, pinned (`CODE@N`).
    /// A flow the court has not adopted yet is adopted from the shipped template first when this
    /// is the admin's node; a desk cannot file it (its record would have no definition to fold).
    func sop(_ code: String, author: String = "") throws -> (sop: SOP, pin: String) {
        if let current = try currentFlow(code) { return (current.sop, "\(current.sop.code)@\(current.version)") }
        guard let sop = SOP.named(code) else {
            throw ReplicaError(.notFound, "no SOP has the code \(code)", hint: "`sinkron sop list` shows the codes")
        }
        guard !sop.tableMissing else {
            throw ReplicaError(.invalidInput, "\(sop.code) (\(sop.title)) is listed in its book without a table, so it has no steps to follow", hint: "`sinkron sop show \(sop.code)` says why")
        }
        guard isAdmin else {
            throw ReplicaError(
                .notFound, "SOP \(sop.code) is not in the court's book", hint: "the court admin adopts it (`sinkron sop adopt \(sop.code)`); it reaches this desk at the next sync")
        }
        try adoptFlows([sop.code], author: author)
        guard let adopted = try currentFlow(sop.code) else { throw ReplicaError(.notFound, "SOP \(sop.code) could not be adopted") }
        return (adopted.sop, "\(sop.code)@\(adopted.version)")
    }

    /// Files a SIPP bug report (SOP 11 of seed 002); filing is its step 1.
    public func fileBug(title: String, description: String, module: String? = nil, caseNumber: String? = nil, reporter: String? = nil, author: String = "") throws -> RecordID {
        var fields = [
            FieldValue(.title, try Validation.text(title, "title")!),
            FieldValue(.description, try Validation.text(description, "description", limit: 4000)!),
        ]
        if let m = try Validation.text(module, "module", required: false) { fields.append(FieldValue(.module, m)) }
        if let c = caseNumber { fields.append(FieldValue(.caseNumber, try Validation.caseNumber(c))) }
        if let r = try Validation.text(reporter, "reporter", required: false) { fields.append(FieldValue(.reporter, r)) }
        return try newRecord(.bug, sop: try sop("BUG"), fields: fields, completeStart: true, author: author)
    }

    /// Files a request to delete wrongly entered case data (SOP 12 of seed 002); filing is its step 1.
    public func fileDeletion(caseNumber: String, reason: String, reporter: String? = nil, author: String = "") throws -> RecordID {
        var fields = [
            FieldValue(.caseNumber, try Validation.caseNumber(caseNumber)),
            FieldValue(.reason, try Validation.text(reason, "reason", limit: 4000)!),
        ]
        if let r = try Validation.text(reporter, "reporter", required: false) { fields.append(FieldValue(.reporter, r)) }
        return try newRecord(.deletion, sop: try sop("HAPUS"), fields: fields, completeStart: true, author: author)
    }

    /// Records an incoming letter (SOP 11 of seed 004, surat masuk).
    public func receiveLetter(
        subject: String, sender: String, reference: String? = nil, letterDate: String? = nil, disposition: String? = nil, author: String = ""
    ) throws -> RecordID {
        var fields = [
            FieldValue(.direction, "masuk"), FieldValue(.subject, try Validation.text(subject, "subject")!),
            FieldValue(.sender, try Validation.text(sender, "sender")!),
        ]
        if let r = try Validation.text(reference, "reference", required: false, limit: 100) { fields.append(FieldValue(.reference, r)) }
        if let d = letterDate { fields.append(FieldValue(.letterDate, try Validation.due(d))) }
        if let d = try Validation.text(disposition, "disposition", required: false, limit: 1000) { fields.append(FieldValue(.disposition, d)) }
        return try newRecord(.letter, sop: try sop("SURAT-MASUK"), fields: fields, completeStart: false, author: author)
    }

    /// Drafts an outgoing letter (SOP 11 of seed 004, surat keluar), optionally for a bug report
    /// or deletion request whose flow needs it.
    public func draftLetter(subject: String, recipient: String, classification: String? = nil, forRecord: String? = nil, author: String = "") throws -> RecordID {
        var fields = [
            FieldValue(.direction, "keluar"), FieldValue(.subject, try Validation.text(subject, "subject")!),
            FieldValue(.recipient, try Validation.text(recipient, "recipient")!),
        ]
        if let c = try Validation.text(classification, "classification", required: false, limit: 40) { fields.append(FieldValue(.classification, c)) }
        var letterID: RecordID?
        if let prefix = forRecord {
            let (id, kind) = try resolve(prefix)
            guard kind == .bug || kind == .deletion else {
                throw ReplicaError(.invalidInput, "--for names a \(kind.rawValue); letters are drafted for bug reports and deletion requests", hint: "give the id of a bug report or deletion request")
            }
            fields.append(FieldValue(.forRecord, id.hex))
            // One letter per record, with an id derived from it: two desks drafting it make one.
            let derived = Self.letterID(for: id)
            if (try? show(derived.hex)) != nil {
                throw ReplicaError(.invalidInput, "\(kind.rawValue) \(id.hex.prefix(8)) has its letter already: \(derived.hex.prefix(8))", hint: "`sinkron show \(derived.hex.prefix(8))` shows it")
            }
            letterID = derived
        }
        return try newRecord(.letter, sop: try sop("SURAT-KELUAR"), fields: fields, completeStart: false, author: author, id: letterID)
    }

    /// Adds a task: an instance of one of the routine or incident SOPs.
    public func addTask(sop code: String, title: String? = nil, assignee: String? = nil, due: String? = nil, notes: String? = nil, author: String = "") throws -> RecordID {
        let flow = try sop(code)
        let sop = flow.sop
        guard sop.kind == .task else {
            throw ReplicaError(
                .invalidInput, "\(sop.code) is the flow of \(sop.kind.rawValue) records",
                hint: sop.kind == .bug ? "use `sinkron bug file`" : sop.kind == .deletion ? "use `sinkron deletion file`" : "use `sinkron letter receive` or `letter draft`")
        }
        var fields = [FieldValue(.title, try Validation.text(title, "title", required: false) ?? sop.title)]
        if let a = try Validation.text(assignee, "assignee", required: false) { fields.append(FieldValue(.assignee, a)) }
        if let d = due { fields.append(FieldValue(.due, try Validation.due(d))) }
        if let n = try Validation.text(notes, "notes", required: false, limit: 4000) { fields.append(FieldValue(.notes, n)) }
        return try newRecord(.task, sop: flow, fields: fields, completeStart: false, author: author)
    }

    /// Completes the step the record's flow is at with an answer as the SOP words it ("berhasil",
    /// "tidak valid") or as ya/tidak.
    @discardableResult
    public func completeStep(_ prefix: String, answer: String?, note: String? = nil, expectedStep: Int? = nil, author: String = "") throws -> StepOutcome {
        guard let answer else { return try completeStep(prefix, branch: nil, note: note, expectedStep: expectedStep, author: author) }
        let s = try show(prefix).summary
        guard let current = s.step, let decision = flow(s.sop)?.step(current)?.decision else {
            return try completeStep(prefix, branch: Branch(rawValue: answer.lowercased()) ?? .ya, note: note, expectedStep: expectedStep, author: author)
        }
        guard let branch = decision.branch(for: answer) else {
            throw ReplicaError(
                .invalidInput, "\"\(answer)\" is not an answer to step \(current): \(decision.question)",
                hint: "answer with " + decision.answers.map { "--branch \"\($0.label)\"" }.joined(separator: " or "))
        }
        return try completeStep(prefix, branch: branch, note: note, expectedStep: expectedStep, author: author)
    }

    /// Completes the step the record's flow is at, if this node's role may perform it.
    @discardableResult
    public func completeStep(_ prefix: String, branch: Branch? = nil, note: String? = nil, expectedStep: Int? = nil, author: String = "") throws -> StepOutcome {
        let detail = try show(prefix)
        let s = detail.summary
        guard s.status != "archived" else { throw ReplicaError(.flowFinished, "record \(s.id.prefix(8)) is archived", hint: "archived records take no more steps") }
        guard let current = s.step, let sop = flow(s.sop), let step = sop.step(current) else {
            throw ReplicaError(.flowFinished, "the flow of record \(s.id.prefix(8)) has ended", hint: "`sinkron history \(s.id.prefix(8))` shows how")
        }
        if let expectedStep, expectedStep != current {
            throw ReplicaError(.invalidInput, "record \(s.id.prefix(8)) is at step \(current), not \(expectedStep)", hint: "`sinkron show \(s.id.prefix(8))` shows the current step")
        }
        guard step.actors.contains(enrolledRole) else {
            let roles = step.actors.map(\.rawValue).joined(separator: step.mode == .any ? " or " : " and ")
            throw ReplicaError(
                .notPermitted, "step \(current) of \(sop.code) (\(step.activity)) is performed by \(roles); this node is \(enrolledRole.rawValue)",
                hint: "the step is done at a \(roles) desk")
        }
        if let span = sop.letter, span.covers(current), let record = ID128(hex: s.id) {
            let letter = Self.letterID(for: record)
            if (try? show(letter.hex)) != nil {
                throw ReplicaError(
                    .invalidInput, "step \(current) of \(sop.code) is done through its letter \(letter.hex.prefix(8)), not on the \(s.kind) itself",
                    hint: "advance the letter: `sinkron step \(letter.hex.prefix(8))`; `sinkron show \(letter.hex.prefix(8))` shows where it is")
            }
            if current == span.from {
                // Drafting the letter is this step: the letter record does it and the ones after it.
                let subject = String("\(step.activity.trimmingCharacters(in: .punctuationCharacters)): \(s.title)".prefix(190))
                let id = try draftLetter(subject: subject, recipient: span.recipient, forRecord: s.id, author: author)
                let drafted = try show(id.hex).summary
                return StepOutcome(
                    record: s.id, completed: current, activity: step.activity, branch: nil, next: current,
                    nextActivity: "letter \(id.hex.prefix(8)): \(drafted.stepActivity ?? "")", nextRoles: drafted.nextRoles)
            }
        }
        let waiting = s.nextRoles.compactMap(Role.init(rawValue:))
        guard waiting.contains(enrolledRole) else {
            let who = waiting.map(\.rawValue).joined(separator: " or ")
            let done = step.actors.firstIndex(of: enrolledRole).map { mine in
                waiting.first.flatMap { step.actors.firstIndex(of: $0) }.map { mine < $0 } ?? true
            } ?? false
            throw ReplicaError(
                .notPermitted,
                step.mode == .inTurn && !done
                    ? "step \(current) of \(sop.code) needs \(step.actors.map(\.rawValue).joined(separator: ", then ")) in turn; it is \(who)'s turn"
                    : "\(enrolledRole.rawValue) has already done its part of step \(current) of \(sop.code); it waits for \(who)",
                hint: "the step is completed at a \(who) desk")
        }
        if let decision = step.decision {
            guard branch != nil else {
                throw ReplicaError(
                    .invalidInput, "step \(current) asks: \(decision.question) (\(decision.gloss))",
                    hint: "answer with " + decision.answers.map { "--branch \"\($0.label)\"" }.joined(separator: " or "))
            }
        } else if branch != nil {
            throw ReplicaError(.invalidInput, "step \(current) of \(sop.code) has no decision", hint: "leave out --branch")
        }
        if let required = step.requires, detail.fields[required].flatMap({ $0 }) == nil,
            s.kind != RecordKind.letter.rawValue || detail.fields["direction"].flatMap({ $0 }) == "keluar"
        {
            throw ReplicaError(
                .invalidInput, "step \(current) of \(sop.code) needs the record's \(required), which is not set yet",
                hint: required == "number" ? "an umum-keuangan desk gives it: `sinkron letter number \(s.id.prefix(8))`" : "set it first")
        }
        var note = try Validation.text(note, "note", required: false, limit: 4000) ?? ""
        if note.isEmpty, let external = step.external {
            // The step records an outside party's act: the note names it and its document.
            note = external.document.isEmpty ? external.party : "\(external.party): \(external.document)"
        }
        guard let record = ID128(hex: s.id) else { throw ReplicaError(.notFound, "bad record id") }
        try commit(author: author, [.step(record: record, step: current, branch: branch, note: note)])
        // Where the flow is now, as the fold has it: a step needing several roles stays current
        // until the last of them has done its part.
        let after = try show(prefix).summary
        let next = after.status == "open" ? after.step : nil
        return StepOutcome(
            record: s.id, completed: current, activity: step.activity, branch: branch.flatMap { step.decision?.answer($0)?.label }, next: next,
            nextActivity: next.flatMap { sop.step($0)?.activity }, nextRoles: after.nextRoles)
    }

    /// Writes a field; the write names the values it replaces, so concurrent edits are detected.
    /// Returns false when the field already holds that value (nothing is written).
    @discardableResult
    public func setField(_ prefix: String, field name: String, value raw: String, author: String = "") throws -> Bool {
        let (record, kind) = try resolve(prefix)
        guard let field = Field(name: name), kind.fields.contains(field) else {
            throw ReplicaError(
                .invalidInput, "a \(kind.rawValue) record has no field \"\(name)\"",
                hint: "its fields are: \(kind.fields.filter { $0 != .direction && $0 != .forRecord }.map(\.name).joined(separator: ", "))")
        }
        let value: String
        switch field {
        case .caseNumber: value = try Validation.caseNumber(raw)
        case .number:
            guard enrolledRole == .umumKeuangan else {
                throw ReplicaError(.notPermitted, "letter numbers are given by umum-keuangan (SOP 11 of seed 004); this node is \(enrolledRole.rawValue)", hint: "ask Umum & Keuangan to number the letter")
            }
            value = try Validation.letterNumber(raw)
        case .due, .letterDate: value = try Validation.due(raw)
        case .direction, .forRecord:
            throw ReplicaError(.invalidInput, "\(field.name) is fixed when the letter is made", hint: "draft a new letter instead")
        default: value = try Validation.text(raw, field.name, limit: field == .description || field == .notes || field == .reason ? 4000 : 200)!
        }
        let detail = try show(record.hex)
        if detail.fields[field.name].flatMap({ $0 }) == value { return false }
        let heads = try currentHeads(record, field: field)
        try commit(author: author, [.set(record: record, field: field, value: value, replaces: heads)])
        return true
    }

    /// The writes a new write of this field replaces: every current head (so it also resolves a conflict).
    func currentHeads(_ record: RecordID, field: Field) throws -> [OpID] {
        guard let rid = try db.cached("SELECT rid FROM records WHERE id = ?").bind(.text(record.hex)).first({ $0.int(0) }) else { return [] }
        return try storedWrites(rid: rid, field: field).filter { $0.head && $0.valid }.map(\.op).sorted()
    }

    public func comment(_ prefix: String, text: String, author: String = "") throws {
        let (record, _) = try resolve(prefix)
        let text = try Validation.text(text, "comment", limit: 4000)!
        try commit(author: author, [.comment(record: record, text: text)])
    }

    public func archive(_ prefix: String, author: String = "") throws {
        let (record, _) = try resolve(prefix)
        if try show(record.hex).summary.status == "archived" {
            throw ReplicaError(.invalidInput, "record \(record.short) is already archived")
        }
        try commit(author: author, [.archive(record: record)])
    }

    /// Gives an outgoing letter its number: the next in this year's agenda, or `number` as given.
    /// Only an `umum-keuangan` node numbers letters (SOP 11 of seed 004).
    @discardableResult
    public func numberLetter(_ prefix: String, number: String? = nil, classification: String? = nil, courtCode: String? = nil, issuer: String = "KPN", now: Date? = nil, author: String = "") throws -> String {
        let now = now ?? courtDate
        guard enrolledRole == .umumKeuangan else {
            throw ReplicaError(.notPermitted, "letter numbers are given by umum-keuangan (SOP 11 of seed 004); this node is \(enrolledRole.rawValue)", hint: "ask Umum & Keuangan to number the letter")
        }
        let (record, kind) = try resolve(prefix)
        guard kind == .letter else { throw ReplicaError(.invalidInput, "\(record.short) is a \(kind.rawValue), not a letter") }
        let detail = try show(record.hex)
        guard detail.fields["direction"].flatMap({ $0 }) == "keluar" else {
            throw ReplicaError(.invalidInput, "\(record.short) is an incoming letter", hint: "only outgoing letters get a number from the agenda")
        }
        if let existing = detail.fields["number"].flatMap({ $0 }) {
            throw ReplicaError(.invalidInput, "letter \(record.short) already has number \(existing)", hint: "use `sinkron set \(record.short) number NEW` to correct it")
        }
        let value: String
        if let number {
            value = try Validation.letterNumber(number)
        } else {
            guard let code = courtCode ?? storedCourtCode() else {
                throw ReplicaError(.invalidInput, "the court code is not known", hint: "pass --court-code (e.g. W4-U2), or set it once with `sinkron init --court-code`")
            }
            guard let cls = classification ?? detail.fields["classification"].flatMap({ $0 }) else {
                throw ReplicaError(.invalidInput, "the letter has no classification", hint: "pass --classification (e.g. HK2.6)")
            }
            let calendar = Calendar(identifier: .gregorian)
            let year = calendar.component(.year, from: now)
            let month = Validation.romanMonths[calendar.component(.month, from: now) - 1]
            let used = try db.prepare("SELECT number FROM letters WHERE number LIKE ?").bind(.text("%/\(year)")).map { $0.text(0) }
            let next = (used.compactMap { Int($0.prefix { $0 != "/" }) }.max() ?? 0) + 1
            value = try Validation.letterNumber("\(next)/\(issuer).\(code)/\(cls)/\(month)/\(year)")
        }
        if let taken = try db.prepare("SELECT id FROM letters WHERE number = ?").bind(.text(value)).first({ $0.text(0) }) {
            throw ReplicaError(.invalidInput, "number \(value) is already given to letter \(taken.prefix(8))", hint: "choose another number, or leave --number out")
        }
        try commit(author: author, [.set(record: record, field: .number, value: value, replaces: try currentHeads(record, field: .number))])
        return value
    }

    func storedCourtCode() -> String? {
        try? db.cached("SELECT value FROM meta WHERE key = 'court_code'").first { $0.optionalText(0) } ?? nil
    }

    /// Stores this court's code (e.g. W4-U2) used in letter numbers. Local setting.
    public func setCourtCode(_ code: String) throws {
        let code = code.trimmingCharacters(in: .whitespaces)
        guard code.range(of: #"^[A-Z0-9][A-Za-z0-9-]{0,15}$"#, options: .regularExpression) != nil else {
            throw ReplicaError(.invalidInput, "\"\(code)\" is not a court code", hint: "e.g. W4-U2 (PN Bengkalis)")
        }
        try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('court_code', ?)").bind(.text(code)).run()
    }

    public var courtCode: String? { storedCourtCode() }
}
