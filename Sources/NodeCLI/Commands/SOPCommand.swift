import ArgumentParser
import Foundation
import Replica

struct SOPView: Encodable {
    struct Step: Encodable {
        var number: Int
        var activity: String
        var gloss: String
        var actors: [String]
        /// any, in-turn or all.
        var mode: String
        var external: External?
        /// The time standard as written in the SOP.
        var time: String
        /// What it means: "15 min", "1 working day", "no deadline".
        var meaning: String
        var requirements: String
        var output: String
        var decision: Decision?
        var next: Int?
        var requires: String?
        var reading: String?
    }

    struct External: Encodable {
        var party: String
        var document: String
    }

    struct Answer: Encodable {
        var answer: String
        /// ya or tidak: what `--branch` sends for this answer.
        var branch: String
        var next: Int?
    }

    struct Decision: Encodable {
        var question: String
        var gloss: String
        var answers: [Answer]
    }

    struct Reference: Encodable {
        var seed: String
        var book: String
        var sop: String?
        var number: String?
        var differences: String?
    }

    var code: String
    var title: String
    var gloss: String
    var source: String
    var references: [Reference]
    var kind: String
    var start: Int
    /// The time standard of the whole procedure, when the SOP gives one.
    var time: String?
    var columns: [String]
    var notes: [String]
    var tableMissing: Bool
    var steps: [Step]

    init(_ sop: SOP) {
        code = sop.code
        title = sop.title
        gloss = sop.gloss
        source = sop.source
        references = sop.references.map { Reference(seed: $0.seed, book: $0.book, sop: $0.sop, number: $0.number, differences: $0.differences) }
        kind = sop.kind.rawValue
        start = sop.start
        time = sop.time?.text
        columns = sop.columns
        notes = sop.notes
        tableMissing = sop.tableMissing
        steps = sop.steps.map { s in
            Step(
                number: s.number, activity: s.activity, gloss: s.gloss, actors: s.actors.map(\.rawValue), mode: s.mode.rawValue,
                external: s.external.map { External(party: $0.party, document: $0.document) }, time: s.time.text, meaning: s.time.meaning,
                requirements: s.requirements, output: s.output,
                decision: s.decision.map { d in
                    Decision(question: d.question, gloss: d.gloss, answers: zip([Branch.ya, .tidak], d.answers).map { Answer(answer: $1.label, branch: $0.rawValue, next: $1.next) })
                },
                next: s.decision == nil ? s.next : nil, requires: s.requires, reading: s.reading)
        }
    }
}

extension SOPStep {
    /// "staf-ti", "kasubbag or sekretaris", "kasubbag, then sekretaris", "kasubbag and sekretaris".
    var actorText: String {
        let names = actors.map(\.rawValue)
        switch mode {
        case .any: return names.joined(separator: " or ")
        case .inTurn: return names.joined(separator: ", then ")
        case .all: return names.joined(separator: " and ")
        }
    }
}

struct SOPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sop", abstract: "The SOP flows shipped with Sinkron (sop list, sop show CODE, sop calendar).",
        subcommands: [ListSOP.self, ShowSOP.self, CalendarSOP.self, BookSOP.self, AdoptSOP.self, ExportSOP.self, ReviseSOP.self, RetireSOP.self, HistorySOP.self],
        defaultSubcommand: ListSOP.self)

    /// The working calendar of the replica here, or the WIB default when there is none.
    static func calendar(_ global: GlobalOptions) -> WorkingCalendar {
        (try? global.open().workingCalendar) ?? WorkingCalendar(zone: .wib)
    }

    /// A start time typed as in the court's zone: `2026-03-20T15:00` or `2026-03-20 15:00`.
    static func parse(_ text: String, in zone: CourtZone) throws -> Date {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone.timeZone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return d }
        }
        throw ReplicaError(.invalidInput, "\"\(text)\" is not a start time", hint: "write 2026-03-20T15:00 (court time, \(zone.rawValue))")
    }

    struct ListSOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the SOP flows.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if global.json { Output.json(SOP.catalog.map(SOPView.init)); return }
            // The court's book beside the templates: which version of each flow new records pin.
            let book = Dictionary(((try? global.open().book()) ?? []).map { ($0.code, $0.action == "retired" ? "retired" : "v\($0.version)") }, uniquingKeysWith: { a, _ in a })
            Output.table(
                ["CODE", "KIND", "STEPS", "BOOK", "SOURCE", "TITLE"],
                SOP.catalog.map { [$0.code, $0.kind.rawValue, $0.tableMissing ? "-" : "\($0.steps.count)", book[$0.code] ?? "", $0.source, "\($0.title) — \($0.gloss)"] })
        }
    }

    struct ShowSOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one SOP flow step by step.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The SOP code, e.g. BUG, HAPUS, BACKUP.") var code: String
        @Option(help: "Compute each due time as if the step (or, for a whole-procedure time, the record) started then, in court time: 2026-03-20T15:00 (default: now).")
        var from: String?

        func run() throws {
            try perform(global) {
                let calendar = SOPCommand.calendar(global)
                let start = try from.map { try SOPCommand.parse($0, in: calendar.zone) } ?? Date()
                func due(_ t: TimeStandard) -> String { calendar.due(from: start, t).map { "due \(calendar.format($0))" } ?? "no deadline" }
                let sop = try SOPCommand.current(code, global)
                if global.json { Output.json(SOPView(sop)); return }
                Output.line("\(sop.code): \(sop.title)")
                Output.line("  \(sop.gloss) — \(sop.source); a new \(sop.kind.rawValue) starts at step \(sop.start)")
                for r in sop.references {
                    Output.line("  source: \(r.seed)" + (r.sop.map { ", SOP \($0)" } ?? "") + (r.number.map { " (\($0))" } ?? "") + (r.differences.map { " — \($0)" } ?? ""))
                }
                if let t = sop.time { Output.line("  time for the whole procedure: \(t.text) (\(t.meaning); \(due(t)))") }
                Output.line("  due times if started \(calendar.format(start)), in working time")
                if !sop.columns.isEmpty { Output.line("  pelaksana: \(sop.columns.joined(separator: " | "))") }
                for n in sop.notes { Output.line("  note: \(n)") }
                Output.line()
                for s in sop.steps {
                    Output.line(String(format: "%3d. ", s.number) + s.activity)
                    Output.line("     \(s.gloss)")
                    Output.line("     by \(s.actorText)" + (s.external.map { " — records the act of \($0.party)" } ?? ""))
                    if sop.time == nil { Output.line("     time: \(s.time.text.isEmpty ? "(none)" : s.time.text) (\(s.time.meaning); \(due(s.time)))") }
                    if !s.requirements.isEmpty { Output.line("     needs: \(s.requirements)") }
                    if !s.output.isEmpty { Output.line("     output: \(s.output)") }
                    if let r = s.reading { Output.line("     reading: \(r)") }
                    if let d = s.decision {
                        Output.line("     ? \(d.question) (\(d.gloss))")
                        Output.line("       " + d.answers.map { "\($0.label) → \($0.next.map { "step \($0)" } ?? "end")" }.joined(separator: "   "))
                    } else {
                        Output.line("     then \(s.next.map { "step \($0)" } ?? "end")")
                    }
                }
            }
        }
    }
}

extension SOPCommand {
    struct CalendarSOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calendar", abstract: "Show the working time SOP standards are measured in (as `sinkron calendar show`).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(help: "Set the court's time zone, WIB, WITA or WIT (court admin only; as `sinkron calendar zone`).") var zone: String?
        @Option(help: "List the closed days of this year (default: the current year).") var year: Int?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                if let zone {
                    guard let z = CourtZone(name: zone) else {
                        throw ReplicaError(.invalidInput, "\"\(zone)\" is not an Indonesian time zone", hint: "use WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9)")
                    }
                    try replica.setCourtZone(z, author: who.author)
                }
                try CalendarCommand.show(replica, year: year, global)
            }
        }

        static func span(_ s: WorkingCalendar.Span) -> String {
            String(format: "%02d:%02d-%02d:%02d", s.start / 60, s.start % 60, s.end / 60, s.end % 60)
        }
    }
}

extension SOPCommand {
    /// The flow `code` names here: the court's current version, else the shipped template.
    static func current(_ code: String, _ global: GlobalOptions) throws -> SOP {
        if let replica = try? global.open(), let last = try replica.flowHistory(code).last, last.action != "retired",
            let sop = replica.flow("\(last.code)@\(last.version)")
        {
            return sop
        }
        guard let sop = SOP.named(code) else {
            throw ReplicaError(.notFound, "no SOP has the code \(code)", hint: "`sinkron sop list` shows the codes")
        }
        return sop
    }

    static func print(_ entries: [FlowBookEntry], _ global: GlobalOptions) {
        if global.json { Output.json(entries); return }
        Output.table(
            ["CODE", "VERSION", "ACTION", "AT", "BY", "STEPS", "SOP NUMBER"],
            entries.map { [$0.code, "\($0.version)", $0.action, Output.time($0.at), $0.by, $0.action == "retired" ? "-" : "\($0.steps)", $0.number ?? ""] })
    }

    struct BookSOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "book", abstract: "The court's SOP book: the current version of every flow it adopted.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try perform(global) {
                let entries = try global.open().book()
                if entries.isEmpty && !global.json {
                    Output.line("the court has adopted no flows; records follow the shipped templates (`sinkron sop adopt --all`)")
                    return
                }
                SOPCommand.print(entries, global)
            }
        }
    }

    struct AdoptSOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adopt", abstract: "Adopt shipped templates into the court's SOP book as version 1 (court admin only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The codes to adopt (see `sinkron sop list`).") var codes: [String] = []
        @Flag(help: "Adopt every shipped template that has a table.") var all = false

        func validate() throws {
            if codes.isEmpty && !all { throw ValidationError("name the codes to adopt, or pass --all") }
        }

        func run() throws {
            try perform(global) {
                let codes = all ? SOP.catalog.filter { !$0.tableMissing }.map(\.code) : self.codes
                let adopted = try global.open().adoptFlows(codes, author: who.author)
                if adopted.isEmpty && !global.json { Output.line("nothing to adopt: those flows are in the book already"); return }
                SOPCommand.print(adopted, global)
            }
        }
    }

    struct ExportSOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Print a flow as JSON (the court's current version, else the template), to edit and revise.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The SOP code.") var code: String

        func run() throws {
            try perform(global) { Output.line(try SOPCommand.current(code, global).definition()) }
        }
    }

    struct ReviseSOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revise", abstract: "Publish a new version of a flow from an edited JSON file (court admin only); open records keep theirs.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The SOP code.") var code: String
        @Option(help: "The flow as JSON, e.g. edited from `sinkron sop export CODE`.") var file: String
        @Option(help: "The SOP number of the new book, e.g. 1/KPN.W4-U2/SOP.PTIP/OT1.2/I/2025.") var number: String?

        func run() throws {
            try perform(global) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ReplicaError(.notFound, "cannot read \(file)", hint: "write the flow there with `sinkron sop export \(code) > \(file)`")
                }
                var text = String(decoding: data, as: UTF8.self)
                if let number {
                    let checked = try Validation.letterNumber(number)
                    text = try SOPCommand.withNumber(text, checked)
                }
                SOPCommand.print([try global.open().reviseFlow(code, definition: text, author: who.author)], global)
            }
        }
    }

    /// The definition with its main source's SOP number replaced.
    static func withNumber(_ text: String, _ number: String) throws -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ReplicaError(.invalidInput, "the file is not one flow object in JSON", hint: "start from `sinkron sop export CODE`")
        }
        var source = object["source"] as? [String: Any] ?? [:]
        source["number"] = number
        object["source"] = source
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    struct RetireSOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire", abstract: "Retire a flow from the court's book (court admin only): no new record starts it; open ones go on.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The SOP code.") var code: String

        func run() throws {
            try perform(global) { SOPCommand.print([try global.open().retireFlow(code, author: who.author)], global) }
        }
    }

    struct HistorySOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Every revision of a flow in the court's book.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The SOP code.") var code: String

        func run() throws {
            try perform(global) {
                let entries = try global.open().flowHistory(code)
                if entries.isEmpty && !global.json { Output.line("\(code.uppercased()) is not in the court's book; records follow the shipped template"); return }
                SOPCommand.print(entries, global)
            }
        }
    }
}
