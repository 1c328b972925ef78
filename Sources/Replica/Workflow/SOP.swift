import Foundation

/// The roles of the PTIP sub-section and the desks that use Sinkron.
public enum Role: String, CaseIterable, Sendable, Codable, Hashable {
    case mejaSatu = "meja-satu"
    case userSipp = "user-sipp"
    case stafTI = "staf-ti"
    case kasubbag
    case sekretaris
    case ketua
    case umumKeuangan = "umum-keuangan"
    case panitera
    case wakilKetua = "wakil-ketua"
    /// Pejabat Pembuat Komitmen: commits the budget (repairs, third-party services).
    case ppk

    /// The Indonesian name used in the SOP tables.
    public var title: String {
        switch self {
        case .mejaSatu: "Meja Satu"
        case .userSipp: "User SIPP (Hakim, PP, JSP)"
        case .stafTI: "Staf TI / Admin SIPP"
        case .kasubbag: "Kasubbag PTIP"
        case .sekretaris: "Sekretaris"
        case .ketua: "Ketua (KPN)"
        case .umumKeuangan: "Umum & Keuangan"
        case .panitera: "Panitera"
        case .wakilKetua: "Wakil Ketua"
        case .ppk: "PPK (Pejabat Pembuat Komitmen)"
        }
    }

    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The kinds of record a replica holds.
public enum RecordKind: String, CaseIterable, Sendable, Codable, Hashable {
    case bug
    case deletion
    case letter
    case task

    /// The SQL table that materialises this kind.
    public var table: String {
        switch self {
        case .bug: "bug_reports"
        case .deletion: "deletion_requests"
        case .letter: "letters"
        case .task: "tasks"
        }
    }

    var code: UInt8 {
        switch self {
        case .bug: 1
        case .deletion: 2
        case .letter: 3
        case .task: 4
        }
    }

    init?(code: UInt8) {
        guard let kind = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }
}

/// One answer of a decision: its label as in the SOP ("ya", "berhasil", "valid", ...) and where it leads.
public struct SOPAnswer: Sendable, Hashable {
    public let label: String
    /// The step that follows this answer; nil ends the flow.
    public let next: Int?

    public init(_ label: String, next: Int?) {
        self.label = label
        self.next = next
    }
}

/// A decision at the end of a step. It has two answers; the first travels as `Branch.ya`, the
/// second as `Branch.tidak` (the operation codec knows no labels, so a relabelled flow stays
/// readable by every release).
public struct SOPDecision: Sendable, Hashable {
    /// The question, in Indonesian as in the SOP.
    public let question: String
    /// An English gloss of the question.
    public let gloss: String
    public let answers: [SOPAnswer]

    public init(question: String, gloss: String, answers: [SOPAnswer]) {
        self.question = question
        self.gloss = gloss
        self.answers = answers
    }

    /// A plain ya/tidak decision.
    public init(question: String, gloss: String, ya: Int?, tidak: Int?) {
        self.init(question: question, gloss: gloss, answers: [SOPAnswer("ya", next: ya), SOPAnswer("tidak", next: tidak)])
    }

    /// The step after the first answer (`Branch.ya`); nil ends the flow.
    public var ya: Int? { answers.first?.next }
    /// The step after the second answer (`Branch.tidak`); nil ends the flow.
    public var tidak: Int? { answers.count > 1 ? answers[1].next : nil }

    public func answer(_ branch: Branch) -> SOPAnswer? {
        let i = branch == .ya ? 0 : 1
        return i < answers.count ? answers[i] : nil
    }

    /// The branch an answer travels as: its label ("berhasil"), case-insensitively, or ya/tidak.
    public func branch(for text: String) -> Branch? {
        let wanted = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let i = answers.firstIndex(where: { $0.label.lowercased() == wanted }) { return i == 0 ? .ya : .tidak }
        return Branch(rawValue: wanted)
    }

    /// "berhasil / tidak berhasil".
    public var labels: String { answers.map(\.label).joined(separator: " / ") }
}

/// How the roles of a step complete it.
public enum ActorMode: String, Sendable, Hashable, CaseIterable {
    /// One of the roles completes the step.
    case any
    /// Each role completes it, in the order listed (a paraf, then the next paraf).
    case inTurn = "in-turn"
    /// Each role completes it, in any order.
    case all
}

/// A party outside the court (SATGAS SIPP, PT, MA, KPPN, DJA, a third party) whose act a step
/// records: a court role completes the step when the act is done, naming the document in its note.
public struct SOPExternal: Sendable, Hashable {
    public let party: String
    /// The document the party produces, as in the SOP ("" when the SOP names none).
    public let document: String

    public init(party: String, document: String = "") {
        self.party = party
        self.document = document
    }
}

/// One numbered activity of an SOP flow (a row of the "Alur Proses" table).
public struct SOPStep: Sendable, Hashable {
    public let number: Int
    /// The activity, in Indonesian as in the SOP.
    public let activity: String
    /// A short English gloss.
    public let gloss: String
    /// The roles that perform this step (the "Pelaksana" column).
    public let actors: [Role]
    public let mode: ActorMode
    /// The outside party whose act this step records, if any.
    public let external: SOPExternal?
    /// The time standard (Mutu Baku "waktu"), as written.
    public let time: TimeStandard

    /// The standard as clock minutes, for the scale of a chart only: minutes and hours as they
    /// are, a working day as 24 h, no deadline as never. Whether a step is late comes from the
    /// working calendar (`WorkingCalendar.due`, `lateCutoff`), never from this.
    public var minutes: Int {
        guard let limit = time.limit else { return Int(Int32.max) }
        return limit.minutes ?? limit.value * 24 * 60
    }
    /// Mutu Baku "kelengkapan/persyaratan", as in the SOP.
    public let requirements: String
    /// Mutu Baku "output", as in the SOP.
    public let output: String
    /// A decision taken when the step completes; nil for a plain step.
    public let decision: SOPDecision?
    /// The step that follows a plain step; nil ends the flow. Ignored when `decision` is set.
    public let next: Int?
    /// A field the record must hold before the step can be completed (e.g. a letter's `number`).
    public let requires: String?
    /// Which reading of the seed was chosen where the OCR does not show it.
    public let reading: String?

    public init(
        number: Int, activity: String, gloss: String, actors: [Role], mode: ActorMode = .any, external: SOPExternal? = nil,
        time: TimeStandard, requirements: String = "", output: String, decision: SOPDecision? = nil, next: Int?,
        requires: String? = nil, reading: String? = nil
    ) {
        self.number = number
        self.activity = activity
        self.gloss = gloss
        self.actors = actors
        self.mode = mode
        self.external = external
        self.time = time
        self.requirements = requirements
        self.output = output
        self.decision = decision
        self.next = next
        self.requires = requires
        self.reading = reading
    }

    /// A step whose time standard is a whole number of minutes.
    public init(
        number: Int, activity: String, gloss: String, actors: [Role], mode: ActorMode = .any, minutes: Int,
        requirements: String = "", output: String, decision: SOPDecision? = nil, next: Int?
    ) {
        self.init(
            number: number, activity: activity, gloss: gloss, actors: actors, mode: mode, time: .minutes(minutes),
            requirements: requirements, output: output, decision: decision, next: next)
    }
}

/// Where a flow comes from: a seed file, the book in it, the SOP's number there.
public struct SOPReference: Sendable, Hashable {
    public let seed: String
    /// The book: `002`, `004`, or a loose sheet (`000`, `001`, `003`).
    public let book: String
    /// The SOP's number in its book ("11"), if it has one.
    public let sop: String?
    /// The official SOP number, e.g. `11/KPN.W4-U2/SOP.PTIP/OT1.2/I/2024`.
    public let number: String?
    /// How this copy differs from the flow's main source, for a second copy.
    public let differences: String?

    public init(seed: String, book: String, sop: String? = nil, number: String? = nil, differences: String? = nil) {
        self.seed = seed
        self.book = book
        self.sop = sop
        self.number = number
        self.differences = differences
    }

    /// "seed 002, SOP 11".
    public var label: String { "seed \(book)" + (sop.map { ", SOP \($0)" } ?? "") }
}

/// Steps of a flow that a letter of its own does (bug report and deletion request: drafting,
/// reporting, signing, numbering, sending and archiving the letter to SATGAS SIPP or the MA).
/// The letter is one SURAT-KELUAR record whose id derives from the parent's; once it exists the
/// parent's steps `from`…`to` are done only through it, and the parent moves past `to` when the
/// letter's flow ends: the letter is drafted, signed and sent once.
public struct SOPLetter: Sendable, Hashable {
    public let from: Int
    public let to: Int
    /// Who the letter goes to ("SATGAS SIPP", "Mahkamah Agung").
    public let recipient: String

    public init(from: Int, to: Int, recipient: String) {
        self.from = from
        self.to = to
        self.recipient = recipient
    }

    public func covers(_ step: Int) -> Bool { (from...to).contains(step) }
}

/// A standard operating procedure: a flow of steps, shipped with the program as data.
public struct SOP: Sendable, Hashable {
    /// The short code users type (`BUG`, `HAPUS`, `BACKUP`, ...).
    public let code: String
    /// The title in Indonesian, as in the SOP document.
    public let title: String
    /// An English gloss of the title.
    public let gloss: String
    /// Where it comes from, e.g. "seed 002, SOP 11".
    public var source: String { references.first?.label ?? "" }
    /// The seed copies of this flow, the main one first.
    public let references: [SOPReference]
    /// The record kind whose flow this is.
    public let kind: RecordKind
    /// The step a new record starts at.
    public let start: Int
    public let steps: [SOPStep]
    /// A time standard given for the whole procedure (one merged Mutu Baku cell): it applies to
    /// the record, and its steps have none of their own.
    public let time: TimeStandard?
    /// The whole procedure's Mutu Baku requirements and output, when the seed gives one cell.
    public let requirements: String
    public let output: String
    /// The seed's Pelaksana columns, as written.
    public let columns: [String]
    public let notes: [String]
    /// Listed in its book without a table: nothing can follow it.
    public let tableMissing: Bool
    /// The steps its letter record does, if any.
    public let letter: SOPLetter?

    public init(
        code: String, title: String, gloss: String, source: String = "", references: [SOPReference] = [], kind: RecordKind,
        start: Int? = nil, steps: [SOPStep], time: TimeStandard? = nil, requirements: String = "", output: String = "",
        columns: [String] = [], notes: [String] = [], tableMissing: Bool = false, letter: SOPLetter? = nil
    ) {
        self.code = code
        self.title = title
        self.gloss = gloss
        self.references = references.isEmpty && !source.isEmpty ? [SOPReference(seed: source, book: source)] : references
        self.kind = kind
        self.start = start ?? steps.first?.number ?? 1
        self.steps = steps
        self.time = time
        self.requirements = requirements
        self.output = output
        self.columns = columns
        self.notes = notes
        self.tableMissing = tableMissing
        self.letter = letter
    }

    public func step(_ number: Int) -> SOPStep? {
        steps.first { $0.number == number }
    }
}
