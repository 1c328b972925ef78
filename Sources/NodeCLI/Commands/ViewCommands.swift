import ArgumentParser
import Foundation
import Replica

extension RecordKind: ExpressibleByArgument {}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List records, newest change first, a page at a time.",
        discussion: "Prints one page (--limit records, 50 unless told) and says how many pages there are; --page N shows another, --all every record.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this kind: bug, deletion, letter, task.") var kind: RecordKind?
    @Flag(help: "Only records whose flow is still running.") var open = false
    @Flag(help: "Only records past the SOP time standard of their current step or whole procedure, in the court's working time (or past a task's due time).") var overdue = false
    @Option(help: "The page to show (1: the newest changes).") var page = 1
    @Option(help: "Records per page (1–\(maxRecordPage)).") var limit = 50
    @Flag(help: "Every matching record, not one page.") var all = false

    func validate() throws {
        guard page >= 1 else { throw ValidationError("--page must be 1 or more") }
        guard (1...maxRecordPage).contains(limit) else { throw ValidationError("--limit must be between 1 and \(maxRecordPage)") }
    }

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            // Routine work on the court's schedules appears when due, on the desks that do it.
            _ = try replica.runSchedules()
            let query = RecordQuery(kind: kind, openOnly: open, lateOnly: overdue)
            var rows: [RecordSummary] = []
            var total = 0
            var capped = false
            if all {
                // One pass over every record (a page at a time would read the skipped ones again).
                rows = try replica.list(kind: kind, openOnly: open, overdueOnly: overdue)
                total = rows.count
            } else {
                // Open records come in order from the list indexes (made once here, as the web app
                // makes them at start); without them a page of 100,000 open records sorts them all.
                // A replica that cannot be written now still lists, by a scan.
                try? replica.prepareListIndexes()
                // Counted to a bound: an exact count of a large replica would cost more than the page.
                let found = try replica.records(query, offset: (page - 1) * limit, limit: limit, countLimit: max(1_000, page * limit * 2))
                rows = found.records
                total = found.total
                capped = found.totalIsLowerBound
            }
            if global.json { Output.json(rows); return }
            if rows.isEmpty {
                Output.line(total > 0 ? "no records on page \(page) (\(capped ? "over " : "")\(total) in all)" : "no records")
                return
            }
            let calendar = replica.workingCalendar
            Output.table(
                ["ID", "KIND", "STATUS", "STEP", "NEXT", "STANDARD", "DUE", "LATE", "TITLE"],
                rows.map { r in
                    [
                        String(r.id.prefix(8)), r.kind, r.status, r.step.map { "\($0)" } ?? "-", r.nextRoles.joined(separator: ","),
                        r.timeStandard.map { ($0.isEmpty ? "-" : $0) + (r.timeFor == "record" ? " (whole)" : "") } ?? "",
                        r.due.map(calendar.format) ?? "", r.overdueMinutes.map { "+" + Output.duration(minutes: $0) } ?? "", Output.truncate(r.title, 50),
                    ]
                })
            let pages = (total + limit - 1) / limit
            if !all && pages > 1 {
                let of = capped ? "of more than \(pages) (over \(total) records)" : "of \(pages) (\(total) records)"
                Output.line("page \(page) \(of)" + (page < pages || capped ? "; next: sinkron list --page \(page + 1), or --all" : ""))
            }
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a record: fields, status, current step, who acts next, overdue.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The record's id (a prefix of at least 4 hex digits).") var id: String

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            let d = try replica.show(id)
            if global.json { Output.json(d); return }
            let calendar = replica.workingCalendar
            let s = d.summary
            Output.line("\(s.kind) \(s.id)")
            Output.line("  \(s.title)")
            Output.line("  sop       \(s.sop)" + (replica.flow(s.sop).map { " — \($0.title)" } ?? ""))
            Output.line("  status    \(s.status)" + (s.step.map { " at step \($0)" } ?? ""))
            if let step = s.step, let activity = s.stepActivity {
                Output.line("  now       \(step). \(activity)")
                if let gloss = s.stepGloss { Output.line("            \(gloss)") }
                let waitsFor = d.linked.map { "its letter \($0.id.prefix(8)) (\($0.nextRoles.joined(separator: " or ")))" } ?? "-"
                Output.line("  next by   \(s.nextRoles.isEmpty ? waitsFor : s.nextRoles.joined(separator: " or "))")
                var timing = "since \(Output.time(s.stepSince))"
                if let standard = s.timeStandard {
                    timing += ", standard " + (standard.isEmpty ? "none" : "\"\(standard)\"") + (s.timeFor == "record" ? " for the whole procedure" : "")
                    timing += s.due.map { ", due \(calendar.format($0))" } ?? ", no deadline"
                }
                if let late = s.overdueMinutes { timing += " — OVERDUE by \(Output.duration(minutes: late))" }
                Output.line("  timing    \(timing)")
            }
            Output.line("  created   \(Output.time(s.createdAt)) by \(s.author) at \(s.createdBy)")
            for (name, value) in d.fields.sorted(by: { $0.key < $1.key }) {
                if let value { Output.line("  \(name.padding(toLength: 13, withPad: " ", startingAt: 0))\(value)") }
            }
            if !d.letters.isEmpty { Output.line("  letters   \(d.letters.map { String($0.prefix(8)) }.joined(separator: ", "))") }
            if let l = d.linked {
                let at = l.step.map { "at step \($0)" + (l.activity.map { ". \($0)" } ?? "") + (l.nextRoles.isEmpty ? "" : " (next by \(l.nextRoles.joined(separator: " or ")))") } ?? l.status
                Output.line(
                    l.relation == "letter"
                        ? "  letter    \(l.id.prefix(8)) does steps \(l.covers): \(l.status), \(at)"
                        : "  for       \(l.kind) \(l.id.prefix(8)) (its steps \(l.covers) are this letter): \(l.status), \(at)")
            }
            if d.conflicts > 0 { Output.line("  conflicts \(d.conflicts) concurrent edits (see `sinkron history \(s.id.prefix(8))`)") }
            if !d.steps.isEmpty {
                Output.line("  steps:")
                for e in d.steps {
                    let mark = e.status == "ok" ? "" : "  [\(e.status)]"
                    Output.line("    \(Output.time(e.at))  \(e.step). \(e.activity ?? "")" + (e.branch.map { " → \($0)" } ?? "") + " — \(e.author) (\(e.role))\(mark)")
                    if !e.note.isEmpty { Output.line("        \(e.note)") }
                }
            }
            if !d.comments.isEmpty {
                Output.line("  comments:")
                for c in d.comments { Output.line("    \(Output.time(c.at))  \(c.author): \(c.text)") }
            }
        }
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Every operation on a record: when, which node, which person, what; for field writes whether it won or lost.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The record's id (prefix).") var id: String

    func run() throws {
        try perform(global) {
            let entries = try global.open().history(id)
            if global.json { Output.json(entries); return }
            for e in entries {
                var line = "\(Output.time(e.at))  \(e.node) (\(e.role)) \(e.author): \(e.summary)"
                if let outcome = e.outcome { line += "  [\(outcome)" + (e.against.isEmpty ? "" : " against \(e.against.map(shortOp).joined(separator: ", "))") + "]" }
                if let status = e.stepStatus, status != "ok" { line += "  [\(status)]" }
                if e.clockAhead { line += "  [clock ahead]" }
                Output.line(line)
                Output.line("      op \(shortOp(e.op)) via \(e.via)")
            }
        }
    }
}

func shortOp(_ op: String) -> String {
    let parts = op.split(separator: ":")
    guard parts.count == 2 else { return op }
    return "\(parts[0].prefix(8)):\(parts[1])"
}

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conflicts", abstract: "Every concurrent write pair with winner and loser, and letter-number collisions.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            let conflicts = try replica.conflicts()
            let collisions = try replica.numberCollisions()
            if global.json {
                struct View: Encodable {
                    var conflicts: [ConflictEntry]
                    var numberCollisions: [NumberCollision]
                }
                Output.json(View(conflicts: conflicts, numberCollisions: collisions))
                return
            }
            if conflicts.isEmpty && collisions.isEmpty { Output.line("no conflicts"); return }
            for c in conflicts {
                Output.line("\(c.record.prefix(8)) \(c.field): kept \"\(c.winnerValue)\" (\(c.winnerNode), \(Output.time(c.winnerAt)))")
                Output.line("    over \"\(c.loserValue)\" (\(c.loserNode), \(Output.time(c.loserAt)))  [\(shortOp(c.winner)) beat \(shortOp(c.loser))]")
            }
            for c in collisions {
                Output.line("letter number \(c.number) is given to \(c.letters.count) letters: \(c.letters.map { String($0.prefix(8)) }.joined(separator: ", "))")
            }
        }
    }
}

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Alerts for the admin: forks, clocks far ahead, refused data.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let alerts = try global.open().alerts()
            if global.json { Output.json(alerts); return }
            if alerts.isEmpty { Output.line("no alerts"); return }
            for a in alerts { Output.line("\(Output.time(a.at))  \(a.kind): \(a.detail)") }
        }
    }
}

struct Merges: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merges", abstract: "The merge sessions that brought operations here (bundle imports, syncs).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many of the latest sessions.") var limit = 50
    @Option(help: "Show this session alone, with its operations in and out per origin.") var session: Int64?

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            if let session {
                guard let s = try replica.session(session) else {
                    throw ReplicaError(.notFound, "no merge session #\(session) on this replica", hint: "`sinkron merges` lists the sessions held")
                }
                if global.json { Output.json(s); return }
                Output.line("#\(s.id) \(s.kind) \(s.peer ?? "-") \(s.address ?? "")  \(Output.time(s.startedAt))  \(s.outcome ?? "running")")
                Output.line("received \(s.received), sent \(s.sent), \(s.conflicts) conflicts, \(s.bytesIn) B in, \(s.bytesOut) B out")
                if !s.traffic.isEmpty {
                    Output.table(["ORIGIN", "NODE", "RECEIVED", "SENT"], s.traffic.map { [String($0.origin.prefix(8)), $0.node, "\($0.received)", "\($0.sent)"] })
                }
                return
            }
            let sessions = try replica.sessions(limit: limit)
            if global.json { Output.json(sessions); return }
            if sessions.isEmpty { Output.line("no merge sessions yet"); return }
            Output.table(
                ["#", "KIND", "PEER", "STARTED", "RECEIVED", "SENT", "CONFLICTS", "OUTCOME"],
                sessions.map { s in
                    ["\(s.id)", s.kind, s.peer ?? "-", Output.time(s.startedAt), "\(s.received)", "\(s.sent)", "\(s.conflicts)", s.outcome ?? "running"]
                })
        }
    }
}
