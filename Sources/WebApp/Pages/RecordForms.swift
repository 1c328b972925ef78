import Foundation
import Hummingbird
import Replica

/// The forms that file a new record. Each calls the same library function as its CLI command.
enum RecordForm: String, CaseIterable {
    case bug, deletion
    case letterIn = "letter-in"
    case letterOut = "letter-out"
    case task

    var title: L {
        switch self {
        case .bug: .fileBug
        case .deletion: .fileDeletion
        case .letterIn: .receiveLetter
        case .letterOut: .draftLetter
        case .task: .addTask
        }
    }

    struct Input {
        var name: String
        var label: L
        var required: Bool
        var multiline = false
        var type = "text"
        var hint: L?
        var check: String?
        var max = 200
    }

    var inputs: [Input] {
        switch self {
        case .bug:
            [
                Input(name: "title", label: .fieldTitle, required: true),
                Input(name: "description", label: .fieldDescription, required: true, multiline: true, max: 4000),
                Input(name: "module", label: .fieldModule, required: false),
                Input(name: "case_number", label: .fieldCaseNumber, required: false, hint: .caseNumberHint, check: "case"),
                Input(name: "reporter", label: .fieldReporter, required: false),
            ]
        case .deletion:
            [
                Input(name: "case_number", label: .fieldCaseNumber, required: true, hint: .caseNumberHint, check: "case"),
                Input(name: "reason", label: .fieldReason, required: true, multiline: true, max: 4000),
                Input(name: "reporter", label: .fieldReporter, required: false),
            ]
        case .letterIn:
            [
                Input(name: "subject", label: .fieldSubject, required: true),
                Input(name: "sender", label: .fieldSender, required: true),
                Input(name: "reference", label: .fieldReference, required: false, max: 100),
                Input(name: "letter_date", label: .fieldLetterDate, required: false, type: "date"),
                Input(name: "disposition", label: .fieldDisposition, required: false, multiline: true, max: 1000),
            ]
        case .letterOut:
            [
                Input(name: "subject", label: .fieldSubject, required: true),
                Input(name: "recipient", label: .fieldRecipient, required: true),
                Input(name: "classification", label: .fieldClassification, required: false, max: 40),
                Input(name: "for_record", label: .fieldForRecord, required: false, max: 32),
            ]
        case .task:
            [
                Input(name: "title", label: .fieldTitle, required: false),
                Input(name: "assignee", label: .fieldAssignee, required: false),
                Input(name: "due", label: .fieldDue, required: false, type: "datetime-local"),
                Input(name: "notes", label: .fieldNotes, required: false, multiline: true, max: 4000),
            ]
        }
    }

    /// Files the record through the library; empty optional fields are left out.
    func file(_ r: Replica, _ v: [String: String], author: String) throws -> RecordID {
        func opt(_ name: String) -> String? {
            guard let s = v[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
            return s
        }
        switch self {
        case .bug:
            return try r.fileBug(title: v["title"] ?? "", description: v["description"] ?? "", module: opt("module"), caseNumber: opt("case_number"), reporter: opt("reporter") ?? author, author: author)
        case .deletion:
            return try r.fileDeletion(caseNumber: v["case_number"] ?? "", reason: v["reason"] ?? "", reporter: opt("reporter") ?? author, author: author)
        case .letterIn:
            return try r.receiveLetter(subject: v["subject"] ?? "", sender: v["sender"] ?? "", reference: opt("reference"), letterDate: opt("letter_date"), disposition: opt("disposition"), author: author)
        case .letterOut:
            return try r.draftLetter(subject: v["subject"] ?? "", recipient: v["recipient"] ?? "", classification: opt("classification"), forRecord: opt("for_record"), author: author)
        case .task:
            return try r.addTask(sop: v["sop"] ?? "", title: opt("title"), assignee: opt("assignee"), due: opt("due"), notes: opt("notes"), author: author)
        }
    }
}

extension WebApp {
    func formPage(_ form: RecordForm, values: [String: String], error: ReplicaError?, _ c: WebContext, back: String) throws -> Response {
        if let ask = needPerson(c, back: back) { return ask }
        let node = try replica.use { try NodeInfo($0) }
        var fields: [HTML] = []
        if form == .task {
            let options = SOP.catalog.filter { $0.kind == .task }.map { sop -> HTML in
                "<option value=\"\(sop.code)\"\(if: values["sop"] == sop.code, " selected")>\(sop.code) — \(sop.title)\(if: c.language == .en, " (\(sop.gloss))")</option>"
            }.joined()
            fields.append("<div class=\"field\"><label for=\"f-sop\">\(c.t(.sop))</label><select id=\"f-sop\" name=\"sop\" required>\(options)</select></div>")
        }
        for input in form.inputs {
            let id = "f-\(input.name)"
            let value = values[input.name] ?? ""
            let required: HTML = input.required ? " required" : ""
            let described: HTML = input.hint != nil || input.check != nil ? " aria-describedby=\"\(id)-hint\"" : ""
            let check: HTML = input.check.map { " data-check=\"\($0)\"" } ?? .empty
            let control: HTML = input.multiline
                ? "<textarea id=\"\(id)\" name=\"\(input.name)\" rows=\"4\" maxlength=\"\(input.max)\"\(required)>\(value)</textarea>"
                : "<input id=\"\(id)\" name=\"\(input.name)\" type=\"\(input.type)\" maxlength=\"\(input.max)\" value=\"\(value)\"\(required)\(described)\(check)>"
            let label: HTML = input.required ? "\(c.t(input.label))" : "\(c.t(input.label)) <span class=\"opt\">(\(c.t(.optional)))</span>"
            let hint: HTML = input.hint != nil || input.check != nil
                ? "<p class=\"hint\" id=\"\(id)-hint\" aria-live=\"polite\">\(input.hint.map { c.t($0) } ?? "")</p>" : .empty
            fields.append("<div class=\"field\"><label for=\"\(id)\">\(label)</label>\(control)\(hint)</div>")
        }
        let body: HTML = """
            <h1>\(c.t(form.title))</h1>
            \(error.map { Pages.errorBox($0, c) } ?? .empty)
            <form method="post" action="/new/\(form.rawValue)" class="record-form" data-ok="\(c.t(.caseNumberOK))">\(Pages.csrf(c))
            \(fields.joined())
            <p class="actions"><button type="submit">\(c.t(.submit))</button> <a href="/">\(c.t(.cancel))</a></p></form>
            """
        return Pages.page(c, node, title: c.t(form.title), path: "/new/\(form.rawValue)", body, status: error == nil ? .ok : .badRequest)
    }

    func submit(_ form: RecordForm, _ c: WebContext) throws -> Response {
        if let ask = needPerson(c, back: "/new/\(form.rawValue)") { return ask }
        do {
            let id = try replica.use { try form.file($0, c.form, author: c.person ?? "") }
            return Pages.redirect("/r/\(id.hex)")
        } catch let error as ReplicaError {
            return try formPage(form, values: c.form, error: error, c, back: "/new/\(form.rawValue)")
        }
    }
}
