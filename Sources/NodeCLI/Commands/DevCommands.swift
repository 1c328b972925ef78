import ArgumentParser
import Foundation
import Replica

/// Tools for tests and benchmarks; hidden from `--help`.
struct Dev: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Tools for tests and benchmarks.", shouldDisplay: false, subcommands: [Fill.self])

    struct Fill: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fill", abstract: "Write many operations; prints `committed N` after each commit.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Records to create.") var records = 100
        @Option(help: "Field edits to write after the creates.") var sets = 1000
        @Option(help: "Operations per transaction.") var batch = 100
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Flag(help: "Make each field edit's value 20–40 bytes long (the benchmark workload).") var benchValues = false

        func run() throws {
            try perform(global) {
                try global.open().fill(records: records, sets: sets, batch: batch, seed: seed, benchValues: benchValues) { total in
                    FileHandle.standardOutput.write(Data("committed \(total)\n".utf8))
                }
            }
        }
    }
}
