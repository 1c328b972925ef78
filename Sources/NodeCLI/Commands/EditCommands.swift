import ArgumentParser
import Foundation
import Replica

extension Branch: ExpressibleByArgument {}

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step", abstract: "Complete the step a record's flow is at, if this node's role performs it.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: AuthorOptions
    @Argument(help: "The record's id (prefix).") var id: String
    @Option(help: "The answer at a decision step, as the SOP words it (ya, tidak, berhasil, \"tidak valid\", ...); `sinkron sop show` lists them.") var branch: String?
    @Option(help: "A note on what was done.") var note: String?
    @Option(name: .customLong("step"), help: "Refuse unless the record is at this step (guards against acting twice).") var expected: Int?

    func run() throws {
        try perform(global) {
            let outcome = try global.open().completeStep(id, answer: branch, note: note, expectedStep: expected, author: who.author)
            if global.json { Output.json(outcome); return }
            Output.line("completed step \(outcome.completed): \(outcome.activity)" + (outcome.branch.map { " → \($0)" } ?? ""))
            if let next = outcome.next {
                Output.line("  next: step \(next) — \(outcome.nextActivity ?? "") [\(outcome.nextRoles.joined(separator: ", "))]")
            } else {
                Output.line("  the flow is complete")
            }
        }
    }
}

struct SetField: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a field of a record (e.g. title, description, assignee, due).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: AuthorOptions
    @Argument(help: "The record's id (prefix).") var id: String
    @Argument(help: "The field name.") var field: String
    @Argument(help: "The new value.") var value: String

    func run() throws {
        try perform(global) {
            let changed = try global.open().setField(id, field: field, value: value, author: who.author)
            if global.json { Output.json(["changed": changed]) } else { Output.line(changed ? "set \(field)" : "\(field) already has that value; nothing written") }
        }
    }
}

struct Comment: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "comment", abstract: "Add a comment to a record.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: AuthorOptions
    @Argument(help: "The record's id (prefix).") var id: String
    @Argument(help: "The comment.") var text: String

    func run() throws {
        try perform(global) {
            try global.open().comment(id, text: text, author: who.author)
            if global.json { Output.json(["ok": true]) } else { Output.line("comment added") }
        }
    }
}

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "archive", abstract: "Archive a record (it stays in the history).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: AuthorOptions
    @Argument(help: "The record's id (prefix).") var id: String

    func run() throws {
        try perform(global) {
            try global.open().archive(id, author: who.author)
            if global.json { Output.json(["ok": true]) } else { Output.line("archived") }
        }
    }
}
