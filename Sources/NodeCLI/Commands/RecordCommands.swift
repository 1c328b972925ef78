import ArgumentParser
import Foundation
import Replica

/// Prints a newly made record (or its JSON detail).
func printCreated(_ replica: Replica, _ id: RecordID, what: String, json: Bool) throws {
    let detail = try replica.show(id.hex)
    if json { Output.json(detail); return }
    let s = detail.summary
    Output.line("\(what) \(id.short) (\(s.sop))")
    if let step = s.step, let activity = s.stepActivity {
        Output.line("  next: step \(step) — \(activity) [\(s.nextRoles.joined(separator: ", "))]")
    }
}

struct BugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bug", abstract: "SIPP bug reports (SOP 11 of seed 002).", subcommands: [File.self])

    struct File: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "file", abstract: "File a SIPP bug report (works offline).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(help: "A one-line title.") var title: String
        @Option(help: "What happened, what you expected.") var description: String
        @Option(help: "The SIPP module, e.g. \"Pendaftaran\".") var module: String?
        @Option(name: .customLong("case"), help: "The case number concerned, e.g. 123/Pdt.G/2026/PN Bls.") var caseNumber: String?
        @Option(help: "Who reported it (default: --as, else the node).") var reporter: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let id = try replica.fileBug(title: title, description: description, module: module, caseNumber: caseNumber, reporter: reporter ?? who.person, author: who.author)
                try printCreated(replica, id, what: "filed bug report", json: global.json)
            }
        }
    }
}

struct DeletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deletion", abstract: "Requests to delete wrongly entered case data (SOP 12 of seed 002).", subcommands: [File.self])

    struct File: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "file", abstract: "File a case-deletion request (works offline).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(name: .customLong("case"), help: "The case number entered wrongly, e.g. 123/Pdt.G/2026/PN Bls.") var caseNumber: String
        @Option(help: "What is wrong with the entered data.") var reason: String
        @Option(help: "Who reported it (default: --as, else the node).") var reporter: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let id = try replica.fileDeletion(caseNumber: caseNumber, reason: reason, reporter: reporter ?? who.person, author: who.author)
                try printCreated(replica, id, what: "filed deletion request", json: global.json)
            }
        }
    }
}

struct LetterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "letter", abstract: "Incoming and outgoing letters (SOP 11 of seed 004).", subcommands: [Receive.self, Draft.self, Number.self])

    struct Receive: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "receive", abstract: "Record an incoming letter.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(help: "What the letter is about.") var subject: String
        @Option(help: "Who sent it.") var sender: String
        @Option(help: "The sender's own letter number.") var reference: String?
        @Option(help: "The letter's date, YYYY-MM-DD.") var date: String?
        @Option(help: "The superior's disposition.") var disposition: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let id = try replica.receiveLetter(subject: subject, sender: sender, reference: reference, letterDate: date, disposition: disposition, author: who.author)
                try printCreated(replica, id, what: "recorded incoming letter", json: global.json)
            }
        }
    }

    struct Draft: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "draft", abstract: "Draft an outgoing letter, optionally for a bug report or deletion request.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(help: "What the letter is about.") var subject: String
        @Option(help: "Who it goes to, e.g. \"SATGAS SIPP\" or \"Mahkamah Agung\".") var recipient: String
        @Option(help: "Classification code for the number, e.g. HK2.6.") var classification: String?
        @Option(name: .customLong("for"), help: "The bug report or deletion request this letter belongs to (id prefix).") var forRecord: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let id = try replica.draftLetter(subject: subject, recipient: recipient, classification: classification, forRecord: forRecord, author: who.author)
                try printCreated(replica, id, what: "drafted letter", json: global.json)
            }
        }
    }

    struct Number: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "number",
            abstract: "Give an outgoing letter its number from the agenda (umum-keuangan only).",
            discussion: "Without --number, the next number of this year is made: {seq}/KPN.{court code}/{classification}/{month}/{year}.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The letter's id (prefix).") var id: String
        @Option(help: "A number to use instead of the next one.") var number: String?
        @Option(help: "Classification code, e.g. HK2.6 (default: the letter's).") var classification: String?
        @Option(help: "Court code, e.g. W4-U2 (default: the one given at init).") var courtCode: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let value = try replica.numberLetter(id, number: number, classification: classification, courtCode: courtCode, author: who.author)
                if global.json { Output.json(["record": try replica.resolve(id).id.hex, "number": value]) } else { Output.line("numbered letter: \(value)") }
            }
        }
    }
}

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Routine and incident tasks, each an instance of an SOP.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a task following an SOP (see `sinkron sop list`).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Option(help: "The SOP code, e.g. BACKUP, SINKRON, UPGRADE.") var sop: String
        @Option(help: "A title (default: the SOP's title).") var title: String?
        @Option(help: "Who does it.") var assignee: String?
        @Option(help: "Due time: YYYY-MM-DD or YYYY-MM-DDTHH:MM.") var due: String?
        @Option(help: "Notes.") var notes: String?

        func run() throws {
            try perform(global) {
                let replica = try global.open()
                let id = try replica.addTask(sop: sop, title: title, assignee: assignee, due: due, notes: notes, author: who.author)
                try printCreated(replica, id, what: "added task", json: global.json)
            }
        }
    }
}
