import ArgumentParser
import Foundation
import Replica

extension RecordBookKind: ExpressibleByArgument {}

struct BookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Print a record book for a period: agenda-masuk, agenda-keluar, masalah-sipp, laporan-berkala, laporan-ti.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The book: \(RecordBookKind.allCases.map(\.rawValue).joined(separator: ", ")).") var book: RecordBookKind
    @Option(help: "The period, in court time: a month (2026-03) or a year (2026).") var period: String
    @Flag(help: "Print CSV (for a spreadsheet) instead of a table.") var csv = false

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            let range = try replica.period(period)
            let result = try replica.recordBook(book, from: range.from, to: range.to, period: period)
            if global.json { Output.json(result); return }
            if csv { Swift.print(result.csv, terminator: ""); return }
            Output.line("\(result.title) — \(period)")
            if result.rows.isEmpty { Output.line("(no entries)"); return }
            Output.table(result.columns.map { $0.uppercased() }, result.rows)
        }
    }
}
