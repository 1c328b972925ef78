/// The roles of the PTIP sub-section and the desks that use Sinkron.
public enum Role: String, CaseIterable, Sendable, Codable, Hashable {
    case mejaSatu = "meja-satu"
    case userSipp = "user-sipp"
    case stafTI = "staf-ti"
    case kasubbag
    case sekretaris
    case ketua
    case umumKeuangan = "umum-keuangan"

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

/// A decision at the end of a step (SOP "ya/tidak", "berhasil/tidak berhasil").
public struct SOPDecision: Sendable, Hashable {
    /// The question, in Indonesian as in the SOP.
    public let question: String
    /// An English gloss of the question.
    public let gloss: String
    /// The step that follows a "ya" answer; nil ends the flow.
    public let ya: Int?
    /// The step that follows a "tidak" answer; nil ends the flow.
    public let tidak: Int?

    public init(question: String, gloss: String, ya: Int?, tidak: Int?) {
        self.question = question
        self.gloss = gloss
        self.ya = ya
        self.tidak = tidak
    }
}

/// One numbered activity of an SOP flow (a row of the "Alur Proses" table).
public struct SOPStep: Sendable, Hashable {
    public let number: Int
    /// The activity, in Indonesian as in the SOP.
    public let activity: String
    /// A short English gloss.
    public let gloss: String
    /// The roles that may perform this step (the "Pelaksana" column).
    public let actors: [Role]
    /// The time standard (Mutu Baku "waktu"), in minutes.
    public let minutes: Int
    /// Mutu Baku "kelengkapan/persyaratan", as in the SOP.
    public let requirements: String
    /// Mutu Baku "output", as in the SOP.
    public let output: String
    /// A decision taken when the step completes; nil for a plain step.
    public let decision: SOPDecision?
    /// The step that follows a plain step; nil ends the flow. Ignored when `decision` is set.
    public let next: Int?

    public init(
        number: Int, activity: String, gloss: String, actors: [Role], minutes: Int,
        requirements: String = "", output: String, decision: SOPDecision? = nil, next: Int?
    ) {
        self.number = number
        self.activity = activity
        self.gloss = gloss
        self.actors = actors
        self.minutes = minutes
        self.requirements = requirements
        self.output = output
        self.decision = decision
        self.next = next
    }
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
    public let source: String
    /// The record kind whose flow this is.
    public let kind: RecordKind
    /// The step a new record starts at.
    public let start: Int
    public let steps: [SOPStep]

    public init(
        code: String, title: String, gloss: String, source: String, kind: RecordKind, start: Int? = nil,
        steps: [SOPStep]
    ) {
        self.code = code
        self.title = title
        self.gloss = gloss
        self.source = source
        self.kind = kind
        self.start = start ?? steps.first?.number ?? 1
        self.steps = steps
    }

    public func step(_ number: Int) -> SOPStep? {
        steps.first { $0.number == number }
    }
}
