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
        commandName: "sop", abstract: "The SOP flows shipped with Sinkron.", subcommands: [ListSOP.self, ShowSOP.self], defaultSubcommand: ListSOP.self)

    struct ListSOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the SOP flows.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if global.json { Output.json(SOP.catalog.map(SOPView.init)); return }
            Output.table(
                ["CODE", "KIND", "STEPS", "SOURCE", "TITLE"],
                SOP.catalog.map { [$0.code, $0.kind.rawValue, $0.tableMissing ? "-" : "\($0.steps.count)", $0.source, "\($0.title) — \($0.gloss)"] })
        }
    }

    struct ShowSOP: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one SOP flow step by step.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The SOP code, e.g. BUG, HAPUS, BACKUP.") var code: String

        func run() throws {
            try perform(global) {
                guard let sop = SOP.named(code) else {
                    throw ReplicaError(.notFound, "no SOP has the code \(code)", hint: "`sinkron sop list` shows the codes: \(SOP.catalog.map(\.code).joined(separator: ", "))")
                }
                if global.json { Output.json(SOPView(sop)); return }
                Output.line("\(sop.code): \(sop.title)")
                Output.line("  \(sop.gloss) — \(sop.source); a new \(sop.kind.rawValue) starts at step \(sop.start)")
                for r in sop.references {
                    Output.line("  source: \(r.seed)" + (r.sop.map { ", SOP \($0)" } ?? "") + (r.number.map { " (\($0))" } ?? "") + (r.differences.map { " — \($0)" } ?? ""))
                }
                if let t = sop.time { Output.line("  time for the whole procedure: \(t.text) (\(t.meaning))") }
                if !sop.columns.isEmpty { Output.line("  pelaksana: \(sop.columns.joined(separator: " | "))") }
                for n in sop.notes { Output.line("  note: \(n)") }
                Output.line()
                for s in sop.steps {
                    Output.line(String(format: "%3d. ", s.number) + s.activity)
                    Output.line("     \(s.gloss)")
                    Output.line("     by \(s.actorText)" + (s.external.map { " — records the act of \($0.party)" } ?? ""))
                    if sop.time == nil { Output.line("     time: \(s.time.text.isEmpty ? "(none)" : s.time.text) (\(s.time.meaning))") }
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
