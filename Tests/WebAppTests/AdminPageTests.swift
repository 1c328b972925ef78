import Foundation
import Hummingbird
import HummingbirdTesting
import Replica
import ReplicaTesting
import Testing

@testable import WebApp

@Suite("Admin pages") struct AdminPageTests {
    /// A bug whose title meja satu and staf TI edited at once, merged at the Kasubbag's PC.
    func conflicted() throws -> (Court, RecordID) {
        let court = try Court()
        // As `sinkron init` does, the court's book holds the flow: the bug pins BUG@1.
        try court.kasubbag.adoptFlows(["BUG"])
        try court.carry(court.kasubbag, court.meja)
        let id = try court.meja.fileBug(title: "Error 500", description: "d")
        try court.carry(court.meja, court.staf)
        try court.meja.setField(id.hex, field: "title", value: "Error 500 saat simpan pihak", author: "Rina")
        try court.staf.setField(id.hex, field: "title", value: "SIPP: simpan pihak gagal", author: "Andi")
        try court.carry(court.meja, court.kasubbag)
        try court.carry(court.staf, court.kasubbag)
        return (court, id)
    }

    @Test func everyPageRendersInBothLanguages() async throws {
        let (court, id) = try conflicted()
        let paths = [
            "/", "/records", "/records?view=waiting", "/records?view=mine", "/records?view=late", "/new", "/new/bug", "/new/deletion",
            "/new/letter-in", "/new/letter-out", "/new/task", "/r/\(id.hex)", "/person", "/admin", "/admin/merges", "/admin/merges/1",
            "/admin/conflicts", "/admin/alerts", "/admin/members", "/admin/peers", "/admin/verify", "/overview",
        ]
        for language in ["id", "en"] {
            try await court.web("kasubbag").run(person: "Bu Sari", language: language) { browser in
                for path in paths {
                    let response = try await browser.get(path)
                    #expect(response.status == .ok, "\(path) in \(language)")
                    #expect(response.text.contains("<html lang=\"\(language)\">"), "\(path)")
                    #expect(!response.text.contains("=&quot;") && !response.text.contains("&lt;a "), "\(path) escaped its own markup")
                    if language == "en", path == "/records" { #expect(response.text.contains("class=\"gloss\""), "English lists add the SOP's gloss") }
                }
            }
        }
    }

    @Test func otherDesksAreRefusedTheAdminPages() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            for path in ["/admin/merges", "/admin/conflicts", "/overview", "/overview/sop.csv"] {
                let response = try await browser.get(path)
                #expect(response.status == .forbidden, "\(path)")
            }
            let resolve = try await browser.post("/admin/conflicts/resolve", ["record": "abcd", "field": "title", "keep": "x:1"])
            #expect(resolve.status == .forbidden)
            let home = try await browser.get("/").text
            #expect(!home.contains("href=\"/admin\""), "no admin link on a desk")
        }
    }

    @Test func conflictsShowBothSidesAndKeepingOneWritesANewOperationNamingBoth() async throws {
        let (court, id) = try conflicted()
        let before = try court.kasubbag.conflicts()
        #expect(before.count == 1)
        let conflict = before[0]
        try await court.web("kasubbag").run(person: "Bu Sari") { browser in
            let page = try await browser.get("/admin/conflicts").text
            #expect(page.contains("Error 500 saat simpan pihak") && page.contains("SIPP: simpan pihak gagal") && page.contains("Pakai nilai ini"))
            let kept = try await browser.post("/admin/conflicts/resolve", ["record": id.hex, "field": "title", "keep": conflict.loser])
            #expect(kept.status == .seeOther && kept.location == "/r/\(id.hex)")
            let after = try await browser.get("/admin/conflicts").text
            #expect(after.contains("sudah diselesaikan") && !after.contains("Pakai nilai ini"))
            let wrong = try await browser.post("/admin/conflicts/resolve", ["record": id.hex, "field": "title", "keep": "abcd:9"])
            #expect(wrong.status == .badRequest)
        }
        let detail = try court.kasubbag.show(id.hex)
        #expect(detail.fields["title"] == conflict.loserValue)
        #expect(try court.kasubbag.conflicts() == before, "the conflict stays recorded as found")
        let last = try court.kasubbag.history(id.hex).last!
        #expect(last.author == "Bu Sari" && last.value == conflict.loserValue)
    }

    @Test func theMergeTimelineLinksEachSessionWithItsOrigins() async throws {
        let (court, _) = try conflicted()
        try await court.web("kasubbag").run { browser in
            let timeline = try await browser.get("/admin/merges").text
            #expect(timeline.contains("href=\"/admin/merges/1\"") && timeline.contains("href=\"/admin/merges/2\""))
            let first = try await browser.get("/admin/merges/1").text
            #expect(first.contains("<td>meja <code>"), "the origins a session brought are listed")
            let second = try await browser.get("/admin/merges/2").text
            #expect(second.contains("<td>staf <code>") && !second.contains("<td>meja <code>"))
            let missing = try await browser.get("/admin/merges/99")
            #expect(missing.status == .notFound)
        }
    }

    @Test func theOverviewDrawsChartsAndDownloadsEachListAsCSV() async throws {
        let (court, _) = try conflicted()
        _ = try court.meja.fileDeletion(caseNumber: "=1+1/Pdt.G/2026/PN Bls".replacingOccurrences(of: "=1+1", with: "9"), reason: "r")
        try court.carry(court.meja, court.kasubbag)
        try await court.web("kasubbag").run { browser in
            let page = try await browser.get("/overview").text
            #expect(page.contains("<figure class=\"chart\"><svg") && page.contains("BUG") && page.contains("HAPUS"))
            for list in ["sop", "desk", "weeks", "steps"] {
                let csv = try await browser.get("/overview/\(list).csv")
                #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true, "\(list)")
            }
            let sop = try await browser.get("/overview/sop.csv").text
            #expect(sop.hasPrefix("sop,title,open,late\r\n") && sop.contains("BUG,"))
            let desk = try await browser.get("/overview/desk.csv").text
            #expect(desk.contains("staf-ti,2,"))
            #expect(try await browser.get("/overview/nope.csv").status == .notFound)
        }
        #expect(CSV.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSV.cell("-5") == "-5")
    }

    @Test func theVerifyPageShowsTheDigestOfTheReplica() async throws {
        let (court, _) = try conflicted()
        let digest = try court.kasubbag.digest()
        try await court.web("kasubbag").run { browser in
            let page = try await browser.get("/admin/verify").text
            #expect(page.contains(digest) && page.contains("Replika utuh"))
        }
    }

    @Test func theAdminInvitesANodeAndIsToldWhatToHandOver() async throws {
        let court = try Court()
        try await court.web("kasubbag").run { browser in
            let page = try await browser.post("/admin/members/invite", ["name": "ketua-1", "role": "ketua"])
            #expect(page.status == .ok && page.text.contains("ketua-1.invite"))
            // The one-time code is shown to hand over apart from the file.
            #expect(page.text.range(of: "[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", options: .regularExpression) != nil)
            let again = try await browser.post("/admin/members/invite", ["name": "ketua-1", "role": "ketua"])
            #expect(again.status == .badRequest && again.text.contains("already named ketua-1"))
            let revoked = try await browser.post("/admin/members/revoke", ["node": "ketua-1"])
            #expect(revoked.status == .seeOther)
        }
        // Beside the home, never inside it (the home holds the database).
        #expect(FileManager.default.fileExists(atPath: court.sandbox.path("sinkron-invitations/ketua-1.invite")))
        #expect(try court.kasubbag.members().first { $0.name == "ketua-1" }?.revoked == true)
    }
}
