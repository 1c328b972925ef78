import Foundation
import Testing

/// The court admin's calendar and schedules through the built binary; desks are refused clearly.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"))
struct CourtDataCLITests {
    @Test func theAdminKeepsTheCalendarAndSchedulesDesksFollow() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (admin, desks) = try DaemonTests.court(dir, desks: [("staf-ti", "staf-ti")])
        let staf = desks[0]
        let shown = try staf.ok("calendar").stdout
        #expect(shown.contains("zone      WIB (UTC+7)") && shown.contains("hours     fri  08:00-11:30, 13:00-17:00"))

        let refused = try staf.run(["calendar", "zone", "WITA"])
        #expect(refused.status == 1 && refused.stderr.contains("only the court admin"))
        #expect(try staf.run(["calendar", "holiday", "add", "2026-01-13", "Hari jadi"]).status == 1)
        #expect(try staf.run(["schedule", "add", "backup-harian", "BACKUP", "--every", "daily", "--assignee", "staf-ti"]).status == 1)
        #expect(try admin.run(["calendar", "zone", "GMT"]).stderr.contains("WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9)"))

        try admin.ok("calendar", "zone", "WITA")
        try admin.ok("calendar", "hours", "sat", "08:00-12:00")
        try admin.ok("calendar", "holiday", "add", "2026-01-13", "Hari jadi kabupaten")
        try admin.ok("calendar", "holiday", "add", "2026-01-14", "Cuti bersama daerah", "--cuti-bersama")
        try admin.ok("calendar", "holiday", "remove", "2026-01-16")
        try admin.ok("schedule", "add", "backup-harian", "BACKUP", "--every", "daily", "--assignee", "staf-ti", "--from", "2026-01-01")
        try admin.ok("export", dir.sub("admin.bundle"))
        try staf.ok("import", dir.sub("admin.bundle"))

        let view = try #require(try staf.json("calendar", "show", "--year", "2026") as? [String: Any])
        #expect(view["zone"] as? String == "WITA" && view["courtData"] as? Bool == true)
        let closed = try #require(view["closed"] as? [[String: Any]]).compactMap { $0["date"] as? String }
        #expect(closed.contains("2026-01-13") && closed.contains("2026-01-14") && !closed.contains("2026-01-16"))
        #expect((view["hours"] as? [String: [String]])?["sat"] == ["08:00-12:00"])
        let text = try staf.ok("calendar", "show", "--year", "2026").stdout
        #expect(text.contains("2026-01-14  cuti-bersama  Cuti bersama daerah"))

        let schedules = try #require(try staf.json("schedule", "list") as? [[String: Any]])
        #expect(schedules.count == 1 && (schedules[0]["schedule"] as? [String: Any])?["sop"] as? String == "BACKUP")
        // The staf desk's daemon makes today's instance; running again makes nothing more.
        let daemon = try Daemon(home: staf.home)
        _ = try daemon.port()
        var made = false
        for _ in 0..<100 where !made {
            let list = try #require(try staf.json("schedule", "list") as? [[String: Any]])
            made = list.first?["current"] is String
            if !made { usleep(100_000) }
        }
        _ = daemon.stop()
        #expect(made, "the daemon made the scheduled instance")
        #expect(try staf.ok("schedule", "run").stdout.contains("nothing due"))
        let tasks = try #require(try staf.json("list", "--kind", "task") as? [[String: Any]])
        #expect(tasks.count == 1 && tasks[0]["sop"] as? String == "BACKUP@1")
        try admin.ok("schedule", "remove", "backup-harian")
        #expect(try admin.ok("schedule", "list").stdout.contains("no schedules"))
    }
}
