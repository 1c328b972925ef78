import ArgumentParser
import Foundation
import Replica
import SyncProtocol

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "The peers `sinkron serve` dials: list, add, remove.",
        subcommands: [ListPeers.self, AddPeer.self, RemovePeer.self],
        defaultSubcommand: ListPeers.self)

    struct ListPeers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored peers with their last good sync and last error.")
        @OptionGroup var global: GlobalOptions

        /// A stored peer and what a running daemon knows of it, or a peer only the daemon knows.
        struct Row: Encodable {
            var address: String
            /// static (stored or --peer), learned (it dialed the daemon), discovered (its beacon).
            var source: String
            var addedAt: Date?
            var lastOK: Date?
            var lastError: String?
            var lastContact: Date?
            /// At the last good session: operations the peer lacked (sent to it), and this node lacked.
            var behindOps: Int?
            var aheadOps: Int?
            /// Live: operations this node holds that the peer lacks, and since when (nil: unknown).
            var pendingOps: Int?
            var pendingSince: Date?
            var lag: String
        }

        func run() throws {
            try perform(global) {
                let stored = try global.open().peers()
                let live = DaemonStatus.read(home: global.resolvedHome)?.peers ?? []
                var rows = stored.map { entry -> Row in
                    let known = live.first { $0.address == entry.address }
                    return Row(
                        address: entry.address, source: known?.source ?? "static", addedAt: entry.addedAt, lastOK: entry.lastOK, lastError: entry.lastError,
                        lastContact: known?.lastContact, behindOps: known?.behind, aheadOps: known?.ahead,
                        pendingOps: known?.pendingOps, pendingSince: known?.pendingSince, lag: known?.lag() ?? "")
                }
                for peer in live where !rows.contains(where: { $0.address == peer.address }) {
                    rows.append(
                        Row(
                            address: peer.address, source: peer.source, lastContact: peer.lastContact, behindOps: peer.behind, aheadOps: peer.ahead,
                            pendingOps: peer.pendingOps, pendingSince: peer.pendingSince, lag: peer.lag()))
                }
                if global.json { Output.json(rows); return }
                if rows.isEmpty {
                    Output.line("no peers; add one with `sinkron peers add HOST:PORT`, or run `sinkron serve` to discover them")
                    return
                }
                Output.table(
                    ["ADDRESS", "SOURCE", "LAST CONTACT", "LAG", "LAST ERROR"],
                    rows.map { row in
                        [row.address, row.source, Output.time(row.lastContact ?? row.lastOK), row.lag, row.lastError.map { Output.truncate($0, 50) } ?? ""]
                    })
            }
        }
    }

    struct AddPeer: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a peer (a running daemon picks it up within seconds).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The peer's HOST:PORT.") var address: String

        func validate() throws {
            do { _ = try PeerAddress(parsing: address) } catch let error as SyncError { throw ValidationError(error.description) }
        }

        func run() throws {
            try perform(global) {
                let normalized = try PeerAddress(parsing: address).description
                let added = try global.open().addPeer(normalized)
                if global.json { Output.json(["address": normalized, "added": added ? "yes" : "already listed"]) } else {
                    Output.line(added ? "added peer \(normalized)" : "\(normalized) is already listed")
                }
            }
        }
    }

    struct RemovePeer: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a stored peer (restart `sinkron serve` to stop dialing it).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The peer's HOST:PORT, as listed.") var address: String

        func run() throws {
            try perform(global) {
                let normalized = (try? PeerAddress(parsing: address).description) ?? address
                guard try global.open().removePeer(normalized) else {
                    throw ReplicaError(.notFound, "\(normalized) is not in the peer list", hint: "`sinkron peers list` shows them")
                }
                if global.json { Output.json(["removed": normalized]) } else { Output.line("removed peer \(normalized)") }
            }
        }
    }
}
