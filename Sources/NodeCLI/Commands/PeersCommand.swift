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

        func run() throws {
            try perform(global) {
                let peers = try global.open().peers()
                if global.json { Output.json(peers); return }
                if peers.isEmpty {
                    Output.line("no peers; add one with `sinkron peers add HOST:PORT`")
                    return
                }
                Output.table(
                    ["ADDRESS", "ADDED", "LAST OK", "LAST ERROR"],
                    peers.map { [$0.address, Output.time($0.addedAt), Output.time($0.lastOK), $0.lastError.map { Output.truncate($0, 60) } ?? ""] })
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
