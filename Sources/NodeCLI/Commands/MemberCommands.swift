import ArgumentParser
import Foundation
import Replica

struct Invite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Enroll a desk and write its invitation file (court admin only).",
        discussion: """
            The file holds the desk's identity, its private key sealed under a one-time code, the \
            court's membership and this replica's data, all signed by this admin. Carry the file on a \
            flash disk and give the code separately (read it out, or on paper); on the desk run \
            `sinkron init --invite FILE --code CODE`, then delete the file.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "The desk's node name, e.g. meja-satu-1.") var name: String
    @Option(help: "The desk's role: \(Role.allNames).") var role: Role
    @Option(help: "Where to write the invitation (default: NAME.invite).") var out: String?
    @Flag(help: "Replace the file if it exists.") var force = false

    func run() throws {
        try perform(global) {
            let path = out ?? "\(name).invite"
            let replica = try global.open()
            let adopting = try replica.isAdmin && replica.book().isEmpty
            let receipt = try replica.invite(name: name, role: role, to: path, force: force)
            let member = receipt.member
            if global.json { Output.json(receipt) } else {
                if adopting { Output.line("the court's SOP book starts with every shipped flow (`sinkron sop book`; `sinkron sop retire CODE` drops one)") }
                Output.line("enrolled \(member.name) (\(member.role)) as node \(member.node)")
                Output.line("invitation written to \(path)")
                Output.line("one-time code: \(receipt.code)")
                Output.line("give the code to the desk apart from the file (not on the flash disk); on the desk run")
                Output.line("  sinkron init --invite \(path) --code \(receipt.code)")
                Output.line("then delete the file")
            }
        }
    }
}

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a member (court admin only): everyone refuses its sessions and its later operations.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The member's name or node id prefix.") var member: String

    func run() throws {
        try perform(global) {
            let revoked = try global.open().revoke(member)
            if global.json { Output.json(revoked) } else { Output.line("revoked \(revoked.name) (\(revoked.node))") }
        }
    }
}

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "members", abstract: "The court's members as this replica knows them.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) {
            let members = try global.open().members()
            if global.json { Output.json(members); return }
            Output.table(
                ["NAME", "ROLE", "NODE", "STATUS"],
                members.map { [$0.name, $0.role, String($0.node.prefix(12)), $0.admin ? "admin" : $0.revoked ? "revoked" : "enrolled"] })
        }
    }
}
