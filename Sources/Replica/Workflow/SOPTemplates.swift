import Foundation
import ReplicaResources

/// The SOP flows shipped with Sinkron: `sop-templates.json` (a resource of the ReplicaResources target), transcribed from the seeds
/// (its `about` says how), decoded and checked when first used.
public enum SOPTemplates {
    /// The shipped templates by code (codes are capitals, checked when loaded).
    static let byCode: [String: SOP] = Dictionary(shipped.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })

    /// The file's format version this release reads.
    static let format = 1
    static let resource = "sop-templates"

    /// The shipped templates. A shipped file that fails its checks is a build defect (a test loads
    /// it), so it stops the program with the reason rather than running on a partial book.
    public static let shipped: [SOP] = {
        do {
            guard let data = ReplicaResources.data(resource, extension: "json") else {
                throw ReplicaError(.notFound, "\(resource).json is missing from Sinkron's resources", hint: "reinstall Sinkron with its Sinkron_ReplicaResources.resources folder")
            }
            return try decode(data)
        } catch {
            fatalError("the shipped SOP templates are invalid: \(error)")
        }
    }()

    /// Decodes and checks a template file: every branch leads to a step or ends the flow, every
    /// actor is a role, every time parses, every step can be reached.
    public static func decode(_ data: Data) throws -> [SOP] {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ReplicaError(.invalidInput, "the SOP template file is not valid JSON of the expected shape: \(error)", hint: "compare it with the shipped sop-templates.json")
        }
        guard file.format == format else {
            throw ReplicaError(.invalidInput, "the SOP template file has format \(file.format); this release reads format \(format)", hint: "use a template file of this release")
        }
        var sops: [SOP] = []
        var byCode: [String: SOP] = [:]
        for flow in file.flows {
            let sop = try flow.sop(sharing: flow.stepsOf.flatMap { byCode[$0.lowercased()] })
            guard byCode[sop.code.lowercased()] == nil else {
                throw ReplicaError(.invalidInput, "two flows have the code \(sop.code)", hint: "codes are unique, case-insensitively")
            }
            byCode[sop.code.lowercased()] = sop
            sops.append(sop)
        }
        for sop in sops { try check(sop, siblings: sops.filter { $0.steps == sop.steps && $0.source == sop.source }) }
        return sops
    }

    /// The structural checks of one flow.
    static func check(_ sop: SOP, siblings: [SOP]) throws {
        func fail(_ what: String) -> ReplicaError {
            ReplicaError(.invalidInput, "SOP \(sop.code): \(what)", hint: "fix the flow in the template file")
        }
        // The plain shape is checked by hand first: a regex costs more to build than reading a
        // record (every `show` decodes its flow); what fails it gets the regex's own verdict.
        guard isPlainCode(sop.code) || sop.code.range(of: #"^[A-Z0-9][A-Z0-9-]{0,31}$"#, options: .regularExpression) != nil else {
            throw fail("the code must be capital letters, digits and dashes")
        }
        if sop.tableMissing {
            guard sop.steps.isEmpty else { throw fail("a flow without a table has no steps") }
            return
        }
        guard !sop.steps.isEmpty else { throw fail("it has no steps") }
        let numbers = sop.steps.map(\.number)
        guard Set(numbers).count == numbers.count else { throw fail("two steps share a number") }
        guard numbers.allSatisfy({ (1..<1000).contains($0) }) else { throw fail("step numbers run from 1 to 999") }
        guard sop.step(sop.start) != nil else { throw fail("it starts at step \(sop.start), which it does not have") }
        for step in sop.steps {
            guard !step.actors.isEmpty else { throw fail("step \(step.number) has no actor") }
            guard Set(step.actors).count == step.actors.count else { throw fail("step \(step.number) names a role twice") }
            if step.mode != .any {
                guard step.actors.count > 1 else { throw fail("step \(step.number) needs several roles but names one") }
                guard step.decision == nil else { throw fail("step \(step.number) needs several roles and asks a question; give the question to one role") }
            }
            if let decision = step.decision {
                guard decision.answers.count == 2 else { throw fail("the decision of step \(step.number) has \(decision.answers.count) answers, not 2") }
                let labels = decision.answers.map { $0.label.lowercased() }
                guard Set(labels).count == 2, !labels.contains("") else { throw fail("the answers of step \(step.number) need two different labels") }
            }
            if sop.time != nil, step.time.hasDeadline {
                throw fail("step \(step.number) has a time of its own, but the flow's time covers the whole procedure")
            }
            for target in targets(of: step) {
                guard let target else { continue }
                guard sop.step(target) != nil else { throw fail("step \(step.number) leads to step \(target), which it does not have") }
            }
        }
        var reached: Set<Int> = []
        var ends = false
        // A flow entering its table part-way (SURAT-KELUAR at step 4) keeps the table's first
        // rows, which its sibling (or, alone, the table's first step) reaches.
        for entry in Set(siblings.map(\.start) + [numbers.min() ?? sop.start]) {
            var pending = [entry]
            while let number = pending.popLast() {
                guard reached.insert(number).inserted, let step = sop.step(number) else { continue }
                for target in targets(of: step) {
                    if let target { pending.append(target) } else { ends = true }
                }
            }
        }
        guard ends else { throw fail("no path reaches an end") }
        if let l = sop.letter {
            guard l.from <= l.to, let from = sop.step(l.from), sop.step(l.to) != nil, from.decision == nil, !l.recipient.isEmpty else {
                throw fail("its letter covers steps \(l.from)-\(l.to), which must be steps it has, in order, with a recipient")
            }
            guard (l.from...l.to).allSatisfy({ sop.step($0)?.decision == nil }) else { throw fail("a step its letter covers asks a question") }
        }
        if let lost = numbers.first(where: { !reached.contains($0) }) { throw fail("step \(lost) cannot be reached") }
    }

    /// Capital ASCII letters, digits and dashes, 1 to 32 of them, not starting with a dash.
    static func isPlainCode(_ code: String) -> Bool {
        let b = Array(code.utf8)
        func allowed(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x30...0x39).contains(c) }
        guard let first = b.first, allowed(first), b.count <= 32 else { return false }
        return b.dropFirst().allSatisfy { allowed($0) || $0 == 0x2D }
    }

    /// Where a step can lead; nil is the end of the flow.
    static func targets(of step: SOPStep) -> [Int?] {
        step.decision.map { $0.answers.map(\.next) } ?? [step.next]
    }
}

extension SOP {
    /// Every SOP flow shipped with Sinkron, in the template file's order.
    public static var catalog: [SOP] { SOPTemplates.shipped }

    /// Looks an SOP up by code, case-insensitively. The fold calls this for every record it
    /// folds, so it is a dictionary lookup.
    public static func named(_ code: String) -> SOP? {
        SOPTemplates.byCode[code] ?? SOPTemplates.byCode[code.uppercased()]
    }
}

// MARK: - The file's shape

extension SOPTemplates {
    struct File: Decodable {
        var format: Int
        var flows: [Flow]
    }

    struct Reference: Decodable {
        var seed: String
        var book: String
        var sop: String?
        var number: String?
        var differences: String?

        var value: SOPReference { SOPReference(seed: seed, book: book, sop: sop, number: number, differences: differences) }
    }

    struct Answer: Decodable {
        var answer: String
        var next: Int?
    }

    struct Decision: Decodable {
        var question: String
        var gloss: String
        var answers: [Answer]
    }

    struct External: Decodable {
        var party: String
        var document: String?
    }

    struct Step: Decodable {
        var n: Int
        var activity: String
        var gloss: String
        var actors: [String]
        var mode: String?
        var external: External?
        var requirements: String?
        var time: String?
        var output: String?
        var decision: Decision?
        var next: Int?
        var requires: String?
        var reading: String?

        func step(in code: String) throws -> SOPStep {
            func fail(_ what: String) -> ReplicaError {
                ReplicaError(.invalidInput, "SOP \(code) step \(n): \(what)", hint: "fix the step in the template file")
            }
            let roles = try actors.map { name in
                guard let role = Role(rawValue: name) else { throw fail("\"\(name)\" is not a role (roles: \(Role.allNames))") }
                return role
            }
            guard let mode = ActorMode(rawValue: mode ?? "any") else {
                throw fail("mode \"\(mode ?? "")\" is not one of \(ActorMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let time: TimeStandard
            do { time = try TimeStandard(self.time ?? "") } catch { throw fail("\(error)") }
            if let requires, Field(name: requires) == nil { throw fail("it requires an unknown field \"\(requires)\"") }
            if decision != nil, next != nil { throw fail("a step with a decision leads on through its answers, not next") }
            return SOPStep(
                number: n, activity: activity, gloss: gloss, actors: roles, mode: mode,
                external: external.map { SOPExternal(party: $0.party, document: $0.document ?? "") }, time: time,
                requirements: requirements ?? "", output: output ?? "",
                decision: decision.map { d in SOPDecision(question: d.question, gloss: d.gloss, answers: d.answers.map { SOPAnswer($0.answer, next: $0.next) }) },
                next: next, requires: requires, reading: reading)
        }
    }

    struct Flow: Decodable {
        var code: String
        var kind: String
        var title: String
        var gloss: String
        var source: Reference
        var also: [Reference]?
        var columns: [String]?
        var notes: [String]?
        var start: Int?
        var time: String?
        var requirements: String?
        var output: String?
        var steps: [Step]?
        var stepsOf: String?
        var tableMissing: Bool?
        var letter: Letter?

        struct Letter: Decodable {
            var from: Int
            var to: Int
            var recipient: String
        }

        /// The flow; `shared` is the flow named by `stepsOf`, whose steps this one follows.
        func sop(sharing shared: SOP?) throws -> SOP {
            guard let kind = RecordKind(rawValue: kind) else {
                throw ReplicaError(.invalidInput, "SOP \(code): \"\(kind)\" is not a record kind", hint: "use bug, deletion, letter or task")
            }
            let steps: [SOPStep]
            if let stepsOf {
                guard let shared else {
                    throw ReplicaError(.invalidInput, "SOP \(code) follows the steps of \(stepsOf), which comes later or not at all", hint: "list \(stepsOf) first")
                }
                steps = shared.steps
            } else {
                steps = try (self.steps ?? []).map { try $0.step(in: code) }
            }
            let time: TimeStandard?
            do { time = try self.time.map(TimeStandard.init) } catch {
                throw ReplicaError(.invalidInput, "SOP \(code): \(error)", hint: "fix the flow's time in the template file")
            }
            return SOP(
                code: code, title: title, gloss: gloss, references: [source.value] + (also ?? []).map(\.value), kind: kind,
                start: start ?? shared?.start, steps: steps, time: time, requirements: requirements ?? shared?.requirements ?? "",
                output: output ?? shared?.output ?? "", columns: columns ?? shared?.columns ?? [], notes: notes ?? [],
                tableMissing: tableMissing ?? false, letter: letter.map { SOPLetter(from: $0.from, to: $0.to, recipient: $0.recipient) })
        }
    }
}
