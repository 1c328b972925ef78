import ArgumentParser
import Foundation
import Replica

/// Routine work on a schedule: the court admin schedules an SOP with a role; its instances
/// appear as tasks when due (`schedule run`, and every `sinkron list` on that role's desk).
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Routine SOPs on a schedule: list them, make the instances due; the court admin adds and removes them.",
        subcommands: [ListSchedules.self, Add.self, Remove.self, Run.self], defaultSubcommand: ListSchedules.self)

    static func print(_ entries: [ScheduleEntry], _ global: GlobalOptions) {
        if global.json { Output.json(entries); return }
        guard !entries.isEmpty else { Output.line("no schedules: the court admin adds them with `sinkron schedule add`"); return }
        Output.table(
            ["NAME", "SOP", "EVERY", "ASSIGNEE", "FROM", "THIS PERIOD", "TITLE"],
            entries.map { e in
                [e.schedule.id, e.schedule.sop, e.schedule.every.rawValue, e.schedule.assignee.rawValue, e.schedule.from,
                 e.current.map { String($0.prefix(8)) } ?? "-", e.schedule.title ?? ""]
            })
    }

    struct ListSchedules: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the court's schedules.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try perform(global) { ScheduleCommand.print(try global.open().schedules(), global) }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Schedule a routine SOP (court admin only), e.g. `schedule add backup-harian BACKUP --every daily --assignee staf-ti`.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The schedule's name: lower-case letters, digits, dashes (adding an existing name replaces it).") var name: String
        @Argument(help: "The SOP code of the routine work, e.g. BACKUP.") var sop: String
        @Option(help: "daily, weekly, monthly or yearly.") var every: String
        @Option(help: "The role that does the work: \(Role.allNames).") var assignee: String
        @Option(help: "The instances' title (default: the SOP's title).") var title: String?
        @Option(help: "The first day (yyyy-MM-dd, default: today).") var from: String?

        func run() throws {
            guard let every = Schedule.Every(rawValue: every.lowercased()) else {
                throw ValidationError("--every is daily, weekly, monthly or yearly, not \"\(every)\"")
            }
            guard let role = Role(rawValue: assignee.lowercased()) else {
                throw ValidationError("--assignee is a role: \(Role.allNames)")
            }
            try perform(global) {
                let replica = try global.open()
                let today = replica.workingCalendar.dayKey(replica.courtDate)
                let entry = try replica.addSchedule(
                    Schedule(id: name, sop: sop, every: every, assignee: role, title: title, from: from ?? today), author: who.author)
                ScheduleCommand.print([entry], global)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a schedule (court admin only); instances already made stay.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions
        @Argument(help: "The schedule's name.") var name: String

        func run() throws {
            try perform(global) {
                try global.open().removeSchedule(name, author: who.author)
                if !global.json { Output.line("removed schedule \(name.lowercased())") }
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Make this period's instances of this desk's schedules that are missing.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: AuthorOptions

        func run() throws {
            try perform(global) {
                let made = try global.open().runSchedules(author: who.author)
                if global.json { Output.json(made.map(\.hex)); return }
                Output.line(made.isEmpty ? "nothing due: every instance of this period exists" : "made \(made.count) task(s): " + made.map { String($0.hex.prefix(8)) }.joined(separator: ", "))
            }
        }
    }
}
