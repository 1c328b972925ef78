import ArgumentParser
import Foundation
import Replica
import SyncProtocol

@main
struct Sinkron: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sinkron",
        abstract: "Offline-first sync node for the PTIP sub-section of a district court.",
        discussion: """
            Every desk keeps a full replica of bug reports, case-deletion requests, letters and tasks. \
            Work offline; move changes by bundle (export/import) or over the LAN. \
            The replica lives in --home (default $SINKRON_HOME, else ~/.sinkron).
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, WhoAmI.self, Invite.self, Members.self, Revoke.self, SOPCommand.self, CalendarCommand.self, ScheduleCommand.self, BookCommand.self,
            BugCommand.self, DeletionCommand.self, LetterCommand.self, TaskCommand.self,
            List.self, Show.self, StepCommand.self, SetField.self, Comment.self, Archive.self, History.self,
            Conflicts.self, Alerts.self, Merges.self, Vector.self, Digest.self, Verify.self,
            Export.self, Import.self, Backup.self, Restore.self, Sync.self, Serve.self, Status.self, PeersCommand.self, Dev.self,
            Web.self, Open.self, Resolve.self,
        ]
    )

    /// Before anything else: a write to a peer that hung up must fail that write, not end the
    /// process (see `BrokenPipe`).
    static func main() {
        BrokenPipe.ignore()
        main(nil)
    }
}
