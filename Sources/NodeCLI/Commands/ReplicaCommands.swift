import ArgumentParser
import Foundation
import Replica

struct Vector: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version vector: for each origin, the highest operation held.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let v = try global.open().vector()
            if global.json { Output.json(v) } else { Output.line(v.compact) }
        }
    }
}

struct Digest: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a hash of the whole materialised state: equal digests mean equal state.")
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
    static let configuration = CommandConfiguration(abstract: "Check every hash chain and signature of the operation log.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let report = try global.open().verify()
            if global.json { Output.json(report) } else if report.ok {
                Output.line("ok: \(report.operations) operations of \(report.origins) origins, \(report.signatures) signatures checked")
            } else {
                for p in report.problems { Output.line("PROBLEM: \(p)") }
            }
            if !report.ok { throw ExitCode(1) }
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a bundle (for a flash disk) of all operations, or of what a peer lacks.",
        discussion: "Get the peer's vector with `sinkron vector --json > peer.vector` on the peer, then `sinkron export FILE --since peer.vector`.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The bundle file to write.") var file: String
    @Option(help: "The peer's vector: a file holding `sinkron vector` output, or ORIGIN:SEQ,... text.") var since: String?

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            var vector: VersionVector?
            if let since {
                let text = FileManager.default.fileExists(atPath: since) ? (try? String(contentsOfFile: since, encoding: .utf8)) ?? "" : since
                vector = try VersionVector(parsing: text)
            }
            let info = try replica.exportBundle(to: file, since: vector)
            if global.json { Output.json(info) } else { Output.line("wrote \(file): \(info.operations) operations in \(info.runs) runs, \(info.bytes) bytes") }
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
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
                if r.clockAhead > 0 { Output.line("  warning: \(r.clockAhead) operations carry a clock far ahead of this PC (kept, flagged)") }
            }
            if !r.forks.isEmpty {
                throw ReplicaError(.fork, "refused a fork: " + r.forks.joined(separator: "; "), hint: "the rest was imported; see `sinkron alerts` and tell the admin")
            }
        }
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the replica while it is in use.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file to write (must not exist).") var file: String

    func run() throws {
        try perform(global) {
            try global.open().backup(to: file)
            if global.json { Output.json(["backup": file]) } else { Output.line("backed up to \(file)") }
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the replica with a backup; it then writes under a new origin.",
        discussion: "The current replica is kept beside it as replica.db.before-restore-<time>. Stop `sinkron serve` first.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The backup file.") var file: String

    func run() throws {
        try perform(global) {
            let replica = try Replica.restore(from: file, home: global.resolvedHome)
            let view = try IdentityView(replica)
            if global.json { Output.json(view) } else {
                Output.line("restored \(file) into \(view.home); writing under new origin \(view.origin)")
            }
        }
    }
}
