import ArgumentParser
import Foundation
import Logging
import Replica
import SyncProtocol

#if canImport(Glibc)
import Glibc
#endif

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync with one peer now; exit 0 when both sides hold the same operations.",
        discussion: """
            Runs one session with a node where `sinkron serve` listens: both sides prove they are \
            enrolled in the same court, then each sends what the other lacks. If a write lands on \
            either side during the session, up to two more sessions follow.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The peer's HOST:PORT, e.g. 192.168.1.20:7070.") var address: String
    @Flag(help: "Print only errors (no progress, no summary).") var quiet = false
    @Option(help: "Seconds without any frame from the peer before giving up.") var timeout = 30

    func validate() throws {
        do { _ = try PeerAddress(parsing: address) } catch let error as SyncError { throw ValidationError(error.description) }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() throws {
        try perform(global) {
            let peer = try PeerAddress(parsing: address)
            var config = SessionConfig()
            config.idleTimeout = UInt64(timeout) * 1000
            var logger = Logger(label: "sinkron.sync")
            logger.logLevel = .critical
            let progress = ProgressLine(enabled: !quiet && !global.json && isatty(STDERR_FILENO) == 1)
            var rounds: [SessionSummary] = []
            do {
                repeat {
                    let summary = try SyncClient.run(home: global.resolvedHome, address: peer, config: config, logger: logger) { progress.show($0) }
                    progress.clear()
                    rounds.append(summary)
                } while rounds.last?.ok == true && rounds.last?.inSync == false && rounds.count < 3
            } catch let error as SyncError {
                progress.clear()
                Output.error(code: error.code.rawValue, message: error.message, hint: error.hint, json: global.json)
                throw ExitCode(1)
            }
            let last = rounds[rounds.count - 1]
            if global.json {
                Output.json(rounds.count == 1 ? AnyEncodable(last) : AnyEncodable(rounds))
            } else if !quiet {
                for summary in rounds where summary.ok { Output.line(describe(summary)) }
            }
            if !last.ok {
                Output.error(code: last.errorCode ?? "sync-failed", message: last.error ?? "the session failed", hint: last.hint, json: false)
                throw ExitCode(1)
            }
            if !last.inSync {
                Output.error(code: "not-in-sync", message: "both sides kept writing during \(rounds.count) sessions; they may still differ", hint: "run `sinkron sync` again", json: false)
                throw ExitCode(1)
            }
        }
    }

    func describe(_ s: SessionSummary) -> String {
        let peer = s.peerName.map { "\($0) (\(s.address))" } ?? s.address
        let seconds = Double(s.durationMs) / 1000
        var text = "synced with \(peer) in \(String(format: "%.2f", seconds)) s: received \(s.received) operations"
        if s.receivedByOrigin.count > 1 { text += " from \(s.receivedByOrigin.count) origins" }
        text += ", sent \(s.sent), \(s.conflicts) conflicts, \(bytes(s.bytesIn)) in, \(bytes(s.bytesOut)) out"
        if let id = s.session { text += " — merge session #\(id)" }
        for fork in s.forks { text += "\n  refused a fork: \(fork)" }
        return text
    }
}

func bytes(_ n: Int) -> String {
    if n < 1024 { return "\(n) B" }
    if n < 1 << 20 { return String(format: "%.1f KiB", Double(n) / 1024) }
    return String(format: "%.1f MiB", Double(n) / Double(1 << 20))
}

/// Encodes any value (a summary, or the list of rounds).
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// A progress line on stderr, redrawn at most ten times a second.
final class ProgressLine {
    let enabled: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ p: SyncProgress) {
        guard enabled else { return }
        let now = MonotonicClock().milliseconds()
        guard now >= lastDraw + 100 else { return }
        lastDraw = now
        let done = p.received + p.sent
        let expected = max(done, p.expectedToReceive + p.expectedToSend)
        let rate = p.elapsedMs > 0 ? Double(done) * 1000 / Double(p.elapsedMs) : 0
        var text = "\r  received \(p.received)/\(p.expectedToReceive), sent \(p.sent)/\(p.expectedToSend) operations, \(Int(rate)) ops/s"
        if rate > 0, expected > done { text += ", ~\(Int(Double(expected - done) / rate) + 1) s left" }
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
        drawn = true
    }

    func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the sync daemon: listen, dial known peers, sync whenever something changes.",
        discussion: """
            Dials every --peer, every peer stored with `sinkron peers add`, and the members it \
            discovers by their signed UDP beacons on the LAN (--no-discovery turns that off); re-dials with \
            exponential backoff when a peer is unreachable; syncs again within a second of a local \
            write or of operations arriving from another peer, and every --interval seconds anyway. \
            Logs every session on stderr. Stop it with Ctrl-C or SIGTERM.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Where to listen, HOST:PORT (0.0.0.0:7070 for every interface).") var listen: String
    @Option(name: .customLong("peer"), help: "A peer to dial, HOST:PORT (repeatable).") var peers: [String] = []
    @Option(help: "Seconds between syncs with a peer when nothing changed.") var interval = 30
    @Flag(help: "Log every idle session too (debug level).") var verbose = false
    @Flag(help: "Neither send nor hear LAN beacons (dial only --peer and stored peers).") var noDiscovery = false
    @Option(help: "Where to hear beacons, HOST:PORT.") var discoveryListen = "0.0.0.0:7071"
    @Option(name: .customLong("beacon-to"), help: "Where to send beacons, HOST:PORT (repeatable; default: the broadcast address of each IPv4 interface, at the discovery port).")
    var beaconTargets: [String] = []
    @Option(help: "Also serve the desk's web app here, 127.0.0.1:PORT (loopback only).") var web: String?

    func validate() throws {
        for text in [listen, discoveryListen] + peers + beaconTargets {
            do { _ = try PeerAddress(parsing: text) } catch let error as SyncError { throw ValidationError(error.description) }
        }
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
        if let web { _ = try WebAddress(parsing: web) }
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
        try perform(global) {
            var options = SyncDaemon.Options(listen: try PeerAddress(parsing: listen))
            options.peers = try peers.map { try PeerAddress(parsing: $0) }
            options.resyncInterval = UInt64(interval) * 1000
            options.discovery.enabled = !noDiscovery
            options.discovery.listen = try PeerAddress(parsing: discoveryListen)
            if !beaconTargets.isEmpty { options.discovery.targets = try beaconTargets.map { try PeerAddress(parsing: $0) } }
            if let web { try startWeb(home: global.resolvedHome, address: try WebAddress(parsing: web), blocking: false) }
            do {
                let daemon = try SyncDaemon(home: global.resolvedHome, options: options, logger: Logger(label: "sinkron.serve"))
                try daemon.run()
            } catch let error as SyncError {
                Output.error(code: error.code.rawValue, message: error.message, hint: error.hint, json: global.json)
                throw ExitCode(1)
            }
        }
    }
}
