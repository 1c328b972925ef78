/// A named field of a record. Codes are part of the binary format and never change meaning.
public enum Field: UInt8, CaseIterable, Sendable, Hashable {
    case title = 1
    case description = 2
    case module = 3
    case caseNumber = 4
    case reporter = 5
    case reason = 6
    case direction = 7
    case subject = 8
    case sender = 9
    case recipient = 10
    case number = 11
    case classification = 12
    case letterDate = 13
    case forRecord = 14
    case disposition = 15
    case assignee = 16
    case due = 17
    case notes = 18
    case reference = 19

    /// The column name in the materialised tables and the name users type.
    public var name: String {
        switch self {
        case .title: "title"
        case .description: "description"
        case .module: "module"
        case .caseNumber: "case_number"
        case .reporter: "reporter"
        case .reason: "reason"
        case .direction: "direction"
        case .subject: "subject"
        case .sender: "sender"
        case .recipient: "recipient"
        case .number: "number"
        case .classification: "classification"
        case .letterDate: "letter_date"
        case .forRecord: "for_record"
        case .disposition: "disposition"
        case .assignee: "assignee"
        case .due: "due"
        case .notes: "notes"
        case .reference: "reference"
        }
    }

    public init?(name: String) {
        let wanted = name.replacingOccurrences(of: "-", with: "_").lowercased()
        guard let field = Self.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = field
    }
}

extension RecordKind {
    /// The fields a record of this kind has, in column order.
    public var fields: [Field] {
        switch self {
        case .bug: [.title, .description, .module, .caseNumber, .reporter]
        case .deletion: [.caseNumber, .reason, .reporter]
        case .letter: [.direction, .subject, .sender, .recipient, .reference, .letterDate, .disposition, .classification, .number, .forRecord]
        case .task: [.title, .assignee, .due, .notes]
        }
    }

    /// Fields that only a node of one role may write (the SOP gives letter numbers to Umum & Keuangan).
    public func writer(of field: Field) -> Role? {
        self == .letter && field == .number ? .umumKeuangan : nil
    }
}
