import ArgumentParser
import Foundation
import Replica

struct SOPView: Encodable {
    struct Step: Encodable {
        var number: Int
        var activity: String
        var gloss: String
        var actors: [String]
        var minutes: Int
        var requirements: String
        var output: String
        var decision: Decision?
        var next: Int?
    }

    struct Decision: Encodable {
        var question: String
        var gloss: String
        var ya: Int?
        var tidak: Int?
    }

    var code: String
    var title: String
    var gloss: String
    var source: String
    var kind: String
    var start: Int
    var steps: [Step]

    init(_ sop: SOP) {
        code = sop.code
        title = sop.title
        gloss = sop.gloss
        source = sop.source
        kind = sop.kind.rawValue
        start = sop.start
        steps = sop.steps.map { s in
            Step(
                number: s.number, activity: s.activity, gloss: s.gloss, actors: s.actors.map(\.rawValue), minutes: s.minutes,
                requirements: s.requirements, output: s.output,
                decision: s.decision.map { Decision(question: $0.question, gloss: $0.gloss, ya: $0.ya, tidak: $0.tidak) }, next: s.decision == nil ? s.next : nil)
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
                SOP.catalog.map { [$0.code, $0.kind.rawValue, "\($0.steps.count)", $0.source, "\($0.title) — \($0.gloss)"] })
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
                Output.line()
                for s in sop.steps {
                    Output.line(String(format: "%3d. ", s.number) + s.activity)
                    Output.line("     \(s.gloss)")
                    Output.line("     by \(s.actors.map(\.rawValue).joined(separator: ", ")) · \(Output.duration(minutes: s.minutes)) · output: \(s.output)")
                    if !s.requirements.isEmpty { Output.line("     needs: \(s.requirements)") }
                    if let d = s.decision {
                        Output.line("     ? \(d.question) (\(d.gloss))")
                        Output.line("       ya → \(d.ya.map { "step \($0)" } ?? "end")   tidak → \(d.tidak.map { "step \($0)" } ?? "end")")
                    } else {
                        Output.line("     then \(s.next.map { "step \($0)" } ?? "end")")
                    }
                }
            }
        }
    }
}
