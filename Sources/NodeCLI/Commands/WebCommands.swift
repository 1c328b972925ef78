import ArgumentParser
import Foundation
import Logging
import Replica
import Synchronization
import WebApp

#if canImport(Glibc)
import Glibc
#endif

/// Where the web app listens: loopback only, because it serves the person at this PC.
struct WebAddress {
    var host: String
    var port: Int

    static let defaultText = "127.0.0.1:7080"

    init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("\"\(text)\" is not HOST:PORT; e.g. \(Self.defaultText)")
        }
        let host = String(text[..<colon])
        guard host == "localhost" || host.hasPrefix("127.") && host.split(separator: ".").count == 4 else {
            throw ValidationError("the web app listens on loopback only (127.x.x.x), so no other PC can reach a desk's pages; \"\(host)\" is not a loopback address")
        }
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = port
    }
}

/// Prints a line on stdout at once (scripts and tests read the URL while the server runs).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Runs the web app for `home` on `address`. With `blocking`, waits until SIGINT/SIGTERM;
/// without, returns once it listens (beside the sync daemon, which owns the signals).
func startWeb(home: String, address: WebAddress, blocking: Bool) throws {
    var options = WebApp.Options(home: home)
    // The court's zone for dates on the pages: WIB unless SINKRON_TIME_ZONE says otherwise
    // (Asia/Makassar for WITA, Asia/Jayapura for WIT).
    if let zone = ProcessInfo.processInfo.environment["SINKRON_TIME_ZONE"], !zone.isEmpty {
        guard let timeZone = TimeZone(identifier: zone) else {
            throw ReplicaError(.invalidInput, "SINKRON_TIME_ZONE=\(zone) is not a time zone", hint: "e.g. Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)")
        }
        options.timeZone = timeZone
    }
    let web = try WebApp(options: options)
    let (name, role) = try { () throws -> (String, String) in
        let r = try Replica(home: home)
        return (r.identity.name, r.identity.role.rawValue)
    }()
    var logger = Logger(label: "sinkron.web")
    logger.logLevel = .warning
    let outcome = Mutex<(any Error)?>(nil)
    let listening = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            try await web.run(host: address.host, port: address.port, logger: logger, handleSignals: blocking) { bound in
                say("web app of \(name) (\(role)) listening on http://\(bound)/ — loopback only: other PCs cannot reach it")
                if let token = try? LoginTokens.issue(home: home) {
                    say("open: http://\(bound)/login?token=\(token)")
                }
                listening.signal()
            }
        } catch {
            outcome.withLock { $0 = error }
            listening.signal()
        }
        finished.signal()
    }
    listening.wait()
    if let error = outcome.withLock({ $0 }) {
        throw ReplicaError(.storage, "the web app could not listen on \(address.host):\(address.port): \(error)", hint: "choose another port")
    }
    if blocking { finished.wait() }
    if let error = outcome.withLock({ $0 }) { throw ReplicaError(.storage, "the web app stopped: \(error)") }
}

struct Web: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the desk's web app (no sync), on loopback only.",
        discussion: """
            Prints the address and a one-time sign-in link; open it in this PC's browser. \
            `sinkron open` prints a new link later. To sync as well, run `sinkron serve --web ADDRESS` instead.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Where to listen, 127.0.0.1:PORT (port 0 picks a free one).") var listen = WebAddress.defaultText

    func validate() throws { _ = try WebAddress(parsing: listen) }

    func run() throws {
        try perform(global) { try startWeb(home: global.resolvedHome, address: try WebAddress(parsing: listen), blocking: true) }
    }
}

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Print (and open, where a browser is available) a one-time sign-in link to the running web app.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only print the link.") var noBrowser = false

    func run() throws {
        try perform(global) {
            let home = global.resolvedHome
            _ = try Replica(home: home)
            guard let address = try? String(contentsOfFile: LoginTokens.addressFile(home), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                !address.isEmpty
            else {
                throw ReplicaError(.notFound, "the web app of \(home) has not been started", hint: "start it with `sinkron web` or `sinkron serve --web 127.0.0.1:7080`")
            }
            let url = "http://\(address)/login?token=\(try LoginTokens.issue(home: home))"
            if global.json { Output.json(["url": url]) } else { say(url) }
            let env = ProcessInfo.processInfo.environment
            if !noBrowser, env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil, let opener = ["/usr/bin/xdg-open", "/usr/bin/sensible-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: opener)
                process.arguments = [url]
                try? process.run()
            }
        }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "End a conflict by keeping one of its writes: a new write naming both (nothing is deleted).",
        discussion: "`sinkron conflicts` lists each pair with the ids of both writes (ORIGIN:SEQ).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: AuthorOptions
    @Argument(help: "The record's id (prefix).") var id: String
    @Argument(help: "The field in conflict, e.g. title.") var field: String
    @Option(help: "The write whose value to keep, ORIGIN:SEQ as `sinkron conflicts` shows it.") var keep: String

    func run() throws {
        try perform(global) {
            let done = try global.open().resolveConflict(id, field: field, keep: keep, author: who.author)
            if global.json { Output.json(done); return }
            Output.line("kept \(done.field) = \(done.value) on \(done.record.prefix(8)) (replaces \(done.replaces.joined(separator: ", ")))")
        }
    }
}
