import ArgumentParser
import Foundation
import Replica

extension Role: ExpressibleByArgument {}

struct IdentityView: Encodable {
    var node: String
    var origin: String
    var name: String
    var role: String
    var court: String
    var courtCode: String?
    var publicKey: String
    var home: String
    var operations: Int64
    var records: Int64
    var origins: Int
    var admin: Bool
    var clock: ClockView

    /// Court time and where it comes from.
    struct ClockView: Encodable {
        var courtTime: Date
        var offsetMs: Int64
        var hops: Int?
        var source: String?
        var checkedAt: Date?
    }

    init(_ replica: Replica) throws {
        let counts = try replica.counts()
        node = replica.identity.node.hex
        origin = replica.origin.hex
        name = replica.identity.name
        role = replica.identity.role.rawValue
        court = replica.identity.court
        courtCode = replica.courtCode
        publicKey = replica.identity.publicKey.map { String(format: "%02x", $0) }.joined()
        home = replica.home
        operations = counts.operations
        records = counts.records
        origins = counts.origins
        admin = replica.isAdmin
        let status = try replica.clockStatus()
        clock = ClockView(
            courtTime: Date(timeIntervalSince1970: Double(status.now) / 1000), offsetMs: status.offsetMs, hops: status.hops, source: status.source,
            checkedAt: status.checkedAt.map { Date(timeIntervalSince1970: Double($0) / 1000) })
    }

    var clockLine: String {
        let now = Output.time(clock.courtTime)
        if admin { return "\(now) (the court's reference clock)" }
        let correction = clock.offsetMs == 0
            ? "this PC's clock"
            : "this PC's clock \(clock.offsetMs < 0 ? "−" : "+") \(Replica.describe(milliseconds: clock.offsetMs.magnitude))"
        guard let source = clock.source else { return "\(now) (\(correction); not yet checked against the admin's clock)" }
        let hops = clock.hops.map { $0 == 1 ? ", 1 session from the admin" : ", \($0) sessions from the admin" } ?? ""
        return "\(now) (\(correction), learned from \(source)\(hops)\(clock.checkedAt.map { " at \(Output.time($0))" } ?? ""))"
    }

    func print() {
        Output.line("node      \(name) (\(role))" + (admin ? ", court admin" : ""))
        Output.line("court     \(court)" + (courtCode.map { " [\($0)]" } ?? ""))
        Output.line("node id   \(node)")
        Output.line("origin    \(origin)")
        Output.line("key       \(publicKey)")
        Output.line("home      \(home)")
        Output.line("holds     \(records) records, \(operations) operations from \(origins) origins")
        Output.line("time      \(clockLine)")
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create this desk's node and its replica.",
        discussion: """
            A desk joins its court with the invitation file the court admin wrote (`sinkron invite`):
              sinkron init --invite meja-satu-1.invite
            Without an invitation, init creates a new court whose admin is this node (the court's
            first node, a kasubbag or staf-ti PC). Roles: \(Role.allNames).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The invitation file from the court admin.")
    var invite: String?

    @Option(help: "The one-time code the court admin gave with the invitation (asked for when left out on a terminal).")
    var code: String?

    @Option(help: "The court this node belongs to, e.g. \"PN Bengkalis\" (without --invite).")
    var court: String?

    @Option(help: "This node's name, e.g. \"meja-satu-1\" (without --invite).")
    var name: String?

    @Option(help: "This desk's role (without --invite): \(Role.allNames).")
    var role: Role?

    @Option(help: "The court code used in letter numbers, e.g. W4-U2.")
    var courtCode: String?

    @Option(help: "A new court's time zone (without --invite): WIB, WITA or WIT (default WIB; `sinkron calendar zone` changes it).")
    var zone: String?

    func validate() throws {
        if invite != nil {
            guard court == nil, name == nil, role == nil, zone == nil else {
                throw ValidationError("--invite brings the court, name, role and zone; leave out --court, --name, --role and --zone")
            }
        } else if court == nil || name == nil || role == nil {
            throw ValidationError("give --invite FILE, or all of --court, --name and --role")
        } else if let zone, CourtZone(name: zone) == nil {
            throw ValidationError("--zone is WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9), not \"\(zone)\"")
        }
    }

    func run() throws {
        try perform(global) {
            let replica: Replica
            if let invite {
                guard let code = code ?? Self.askCode() else {
                    throw ReplicaError(.invalidInput, "an invitation needs the one-time code the court admin gave with it", hint: "pass --code CODE")
                }
                replica = try Replica.initialize(home: global.resolvedHome, invitation: invite, code: code)
            } else {
                replica = try Replica.initialize(
                    home: global.resolvedHome, court: court!, name: name!, role: role!, zone: zone.flatMap(CourtZone.init(name:)) ?? .wib)
            }
            if let courtCode { try replica.setCourtCode(courtCode) }
            let view = try IdentityView(replica)
            for line in replica.tightened { Output.note("made private: \(line)") }
            if global.json { Output.json(view) } else {
                Output.line("created node \(view.name) (\(view.role)) of \(view.court) in \(view.home)")
                view.print()
                if invite == nil {
                    Output.line(replica.identity.role == .kasubbag || replica.identity.role == .stafTI
                        ? "this node is the admin of \(view.court): enroll the other desks with `sinkron invite`"
                        : "note: to sync over the LAN, a desk joins with `sinkron init --invite FILE` from the court admin")
                }
            }
        }
    }
}

extension Init {
    /// Reads the code from the terminal, when there is one.
    static func askCode() -> String? {
        guard isatty(0) == 1 else { return nil }
        FileHandle.standardError.write(Data("one-time code from the court admin: ".utf8))
        return readLine(strippingNewline: true)
    }
}

struct WhoAmI: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show this node's identity and what its replica holds.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let view = try IdentityView(try global.open())
            if global.json { Output.json(view) } else { view.print() }
        }
    }
}
