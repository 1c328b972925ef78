import ArgumentParser
import Foundation
import Replica

struct Vector: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vector", abstract: "Print the version vector: for each origin, the highest operation held.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let v = try global.open().vector()
            if global.json { Output.json(v) } else { Output.line(v.compact) }
        }
    }
}

struct Digest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "digest", abstract: "Print a hash of the whole materialised state: equal digests mean equal state.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            let digest = try replica.digest()
            if global.json { Output.json(["digest": digest, "operations": String(try replica.vector().total)]) } else { Output.line(digest) }
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every hash chain and signature of the operation log, and the tables against it.",
        discussion: "The tables are checked by folding them again from the log in a transaction that is rolled back (a few seconds for a million operations).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Check the log only, not the tables.") var quick = false

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            var report = try replica.verify()
            if !quick && report.ok { report.problems += try replica.verifyTables() }
            if global.json { Output.json(report) } else if report.ok {
                Output.line("ok: \(report.operations) operations of \(report.origins) origins, \(report.signatures) signatures checked" + (quick ? "" : "; tables match the log"))
            } else {
                for p in report.problems { Output.line("PROBLEM: \(p)") }
            }
            if !report.ok { throw ExitCode(1) }
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bundle (for a flash disk) of all operations, or of what a peer lacks.",
        discussion: "Get the peer's vector with `sinkron vector --json > peer.vector` on the peer, then `sinkron export FILE --since peer.vector`.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The bundle file to write.") var file: String
    @Option(help: "The peer's vector: a file holding `sinkron vector` output, or ORIGIN:SEQ,... text.") var since: String?
    @Flag(help: "Replace FILE if it exists (never a folder, link, FIFO or device).") var force = false

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            var vector: VersionVector?
            if let since {
                let text = FileManager.default.fileExists(atPath: since) ? (try? String(contentsOfFile: since, encoding: .utf8)) ?? "" : since
                vector = try VersionVector(parsing: text)
            }
            let info = try replica.exportBundle(to: file, since: vector, force: force)
            if global.json { Output.json(info) } else { Output.line("wrote \(file): \(info.operations) operations in \(info.runs) runs, \(info.bytes) bytes") }
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Verify and merge a bundle. Importing the same bundle twice, or bundles in any order, is harmless.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The bundle file.") var file: String

    func run() throws {
        try perform(global) {
            let result = try global.open().importBundle(from: file)
            let r = result.report
            if global.json { Output.json(result) } else {
                Output.line("imported \(r.appliedTotal) new operations from \(result.bundle.exporter) (\(r.duplicates) already here, \(r.conflicts) conflicts) — merge session #\(result.session)")
                for g in r.gaps { Output.line("  skipped: \(g)") }
                for line in r.heldLines { Output.line("  \(line)") }
                if r.heldTotal > 0 { Output.line("  held operations are applied if the court admin's enrollment of their node arrives; `sinkron alerts` lists them") }
                if r.admitted > 0 { Output.line("  applied \(r.admitted) operations held until their node's enrollment arrived") }
                for line in r.revoked { Output.line("  \(line)") }
                if r.clockAhead > 0 { Output.line("  warning: \(r.clockAhead) operations carry a clock far ahead of this PC (kept, flagged)") }
            }
            if !r.forks.isEmpty {
                throw ReplicaError(.fork, "refused a fork: " + r.forks.joined(separator: "; "), hint: "the rest was imported; see `sinkron alerts` and tell the admin")
            }
        }
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the replica while it is in use.",
        discussion: "The backup holds this node's private key: keep it as safe as the PC (it is written with mode 0600).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file to write (outside the replica's home).") var file: String
    @Flag(help: "Replace FILE if it exists (never a folder, link, FIFO or device).") var force = false

    func run() throws {
        try perform(global) {
            try global.open().backup(to: file, force: force)
            if global.json { Output.json(["backup": file]) } else {
                Output.line("backed up to \(file)")
                Output.line("note: the backup holds this node's private key; whoever has it can write as this node. Keep it locked away (mode 0600).")
            }
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the replica with a backup; it then writes under a new origin.",
        discussion: "The current replica is kept beside it as replica.db.before-restore-<time>. Stop `sinkron serve` first.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file.") var file: String
    @Flag(help: "Restore even a backup of another node or another court.") var force = false

    func run() throws {
        try perform(global) {
            let replica = try Replica.restore(from: file, home: global.resolvedHome, force: force)
            let view = try IdentityView(replica)
            if global.json { Output.json(view) } else {
                Output.line("restored \(file) into \(view.home); writing under new origin \(view.origin)")
            }
        }
    }
}
