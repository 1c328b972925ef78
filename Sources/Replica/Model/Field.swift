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

    /// The position of `field` among this kind's columns, or nil when records of this kind lack it.
    /// (A switch rather than a search of `fields`: the merge asks this once per field write.)
    public func column(of field: Field) -> Int? {
        switch (self, field) {
        case (.bug, .title): 0
        case (.bug, .description): 1
        case (.bug, .module): 2
        case (.bug, .caseNumber): 3
        case (.bug, .reporter): 4
        case (.deletion, .caseNumber): 0
        case (.deletion, .reason): 1
        case (.deletion, .reporter): 2
        case (.letter, .direction): 0
        case (.letter, .subject): 1
        case (.letter, .sender): 2
        case (.letter, .recipient): 3
        case (.letter, .reference): 4
        case (.letter, .letterDate): 5
        case (.letter, .disposition): 6
        case (.letter, .classification): 7
        case (.letter, .number): 8
        case (.letter, .forRecord): 9
        case (.task, .title): 0
        case (.task, .assignee): 1
        case (.task, .due): 2
        case (.task, .notes): 3
        default: nil
        }
    }

    /// Fields that only a node of one role may write (the SOP gives letter numbers to Umum & Keuangan).
    public func writer(of field: Field) -> Role? {
        self == .letter && field == .number ? .umumKeuangan : nil
    }
}
