import ArgumentParser
import Foundation
import Replica
import SyncProtocol

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Whether a daemon runs on this home, its peers, and the last sync.",
        discussion: """
            Reads what a running `sinkron serve` writes to serve.json in the home every few seconds \
            (a file whose process is gone, or older than 30 s, means no daemon runs), and the last \
            merge session from the replica. Exit 0 when a daemon runs, 3 when none does.
            """)
    @OptionGroup var global: GlobalOptions

    struct Report: Encodable {
        var running: Bool
        var daemon: DaemonStatus?
        var lastSync: SessionEntry?
        var storedPeers: [PeerEntry]
    }

    func run() throws {
        try perform(global) {
            let replica = try global.open()
            let daemon = DaemonStatus.read(home: global.resolvedHome)
            let last = try replica.sessions(limit: 20).first { $0.kind.hasPrefix("sync") }
            let report = Report(running: daemon != nil, daemon: daemon, lastSync: last, storedPeers: try replica.peers())
            if global.json {
                Output.json(report)
            } else {
                describe(report)
            }
            if daemon == nil { throw ExitCode(3) }
        }
    }

    func describe(_ r: Report) {
        if let d = r.daemon {
            Output.line("daemon: running (pid \(d.pid)), listening on \(d.listen) since \(Output.time(d.startedAt))")
            Output.line("  sessions now: \(d.sessions), connections in their handshake: \(d.pending)")
            if !d.refused.isEmpty {
                Output.line("  refused since start: " + d.refused.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
            if d.peers.isEmpty {
                Output.line("  peers: none")
            } else {
                Output.table(
                    ["PEER", "SOURCE", "LAST SYNC", "STATE", "LAG"],
                    d.peers.map { [$0.address, $0.source, Output.time($0.lastSync), $0.failing ? "failing" : "ok", $0.lag()] })
            }
        } else {
            Output.line("daemon: not running on this home (start it with `sinkron serve --listen HOST:PORT`)")
            if !r.storedPeers.isEmpty { Output.line("  stored peers: " + r.storedPeers.map(\.address).joined(separator: ", ")) }
        }
        if let s = r.lastSync {
            Output.line("last sync: \(Output.time(s.endedAt ?? s.startedAt)) with \(s.peer ?? s.address ?? "?"): \(s.outcome ?? "unfinished")")
        } else {
            Output.line("last sync: none yet")
        }
    }
}
