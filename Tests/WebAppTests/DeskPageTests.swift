import Foundation
import Hummingbird
import HummingbirdTesting
import Replica
import ReplicaTesting
import Testing

@testable import WebApp

@Suite("Desk pages") struct DeskPageTests {
    @Test func theBrowserIsAskedOnceWhoIsActing() async throws {
        let court = try Court()
        try await court.web("meja").run(person: nil) { browser in
            var browser = browser
            let form = try await browser.get("/new/bug")
            #expect(form.status == .seeOther && form.location.hasPrefix("/person?back="))
            let page = try await browser.get(form.location)
            #expect(page.text.contains("Siapa yang bekerja di meja ini?"))
            let empty = try await browser.post("/person", ["person": "  ", "back": "/new/bug"])
            #expect(empty.status == .badRequest)
            let saved = try await browser.post("/person", ["person": "Rina Wati", "back": "/new/bug"])
            #expect(saved.status == .seeOther && saved.location == "/new/bug")
            let cookie = saved.headers[.setCookie] ?? ""
            #expect(cookie.hasPrefix("person=Rina%20Wati") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            browser.cookies["person"] = "Rina%20Wati"
            let r = try await browser.get("/new/bug")
            #expect(r.status == .ok && r.text.contains("Rina Wati"))
        }
    }

    @Test func everyFormFilesThroughTheLibraryWithThePersonAsAuthor() async throws {
        let court = try Court()
        let bug = try court.meja.fileBug(title: "for the letter", description: "d")
        try court.carry(court.meja, court.staf)
        try await court.web("meja").run { browser in
            let filed = try await browser.post("/new/bug", ["title": "Tombol simpan error 500", "description": "Saat menyimpan pihak", "module": "Pendaftaran", "case_number": "123/Pdt.G/2026/PN Bls"])
            #expect(filed.status == .seeOther && filed.location.hasPrefix("/r/"))
            let page = try await browser.get(filed.location)
            #expect(page.status == .ok && page.text.contains("Tombol simpan error 500") && page.text.contains("<svg class=\"flow\""))
            let deletion = try await browser.post("/new/deletion", ["case_number": "7/Pdt.P/2026/PN Bls", "reason": "Terdaftar dua kali"])
            #expect(deletion.status == .seeOther)
            let letter = try await browser.post("/new/letter-in", ["subject": "Undangan rapat", "sender": "PT Pekanbaru", "letter_date": "2026-11-30"])
            #expect(letter.status == .seeOther)
        }
        try await court.web("staf").run(person: "Andi") { browser in
            let out = try await browser.post("/new/letter-out", ["subject": "Pemberitahuan bug", "recipient": "SATGAS SIPP", "classification": "HK2.6", "for_record": String(bug.hex.prefix(8))])
            #expect(out.status == .seeOther)
            let task = try await browser.post("/new/task", ["sop": "BACKUP", "assignee": "Andi", "due": "2026-12-02T16:00"])
            #expect(task.status == .seeOther)
            let linked = try await browser.get("/r/\(bug.hex)").text
            #expect(linked.contains("Pemberitahuan bug") && linked.contains("→ SATGAS SIPP"), "the bug lists its letter")
        }
        let mine = try court.meja.list()
        #expect(mine.filter { $0.author == "Rina" }.count == 3, "the person is the author")
        #expect(try court.staf.list(kind: .letter).first?.author == "Andi")
        #expect(try court.staf.list(kind: .task).count == 1)
    }

    @Test func aBadCaseNumberIsRefusedWithTheCLIsMessageKeepingWhatWasTyped() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            let response = try await browser.post("/new/deletion", ["case_number": "123-Pdt-2026", "reason": "Alasan yang panjang"])
            #expect(response.status == .badRequest)
            #expect(response.text.contains("&quot;123-Pdt-2026&quot; is not a district-court case number"))
            #expect(response.text.contains("Alasan yang panjang"), "the form keeps what was typed")
            let check = try await browser.get("/check/case?value=123-Pdt-2026").text
            #expect(check.contains("\"ok\":false") && check.contains("is not a district-court case number"))
            let good = try await browser.get("/check/case?value=" + urlEncode("7/Pdt.P/2026/PN Bls")).text
            #expect(good == #"{"ok":true}"#)
        }
        #expect(try court.meja.list().isEmpty)
    }

    @Test func aStepIsOfferedAndDoneOnlyAtTheDeskWhoseRoleDoesIt() async throws {
        let court = try Court()
        let id = try court.meja.fileBug(title: "Error 500", description: "d")
        try court.carry(court.meja, court.staf)
        try await court.web("meja").run { browser in
            let page = try await browser.get("/r/\(id.hex)").text
            #expect(page.contains("Langkah ini dilakukan oleh") && !page.contains("value=\"ya\""))
            let refused = try await browser.post("/r/\(id.hex)/step", ["branch": "ya", "expected": "2"])
            #expect(refused.status == .forbidden && refused.text.contains("is performed by staf-ti"))
        }
        try await court.web("staf").run(person: "Andi") { browser in
            let page = try await browser.get("/").text
            #expect(page.contains("Error 500"), "the bug waits for staf TI")
            let record = try await browser.get("/r/\(id.hex)").text
            #expect(record.contains("name=\"branch\" value=\"ya\"") && record.contains("name=\"branch\" value=\"tidak\""))
            let missing = try await browser.post("/r/\(id.hex)/step", ["expected": "2"])
            #expect(missing.status == .badRequest && missing.text.contains("step 2 asks"))
            let done = try await browser.post("/r/\(id.hex)/step", ["branch": "tidak", "note": "Bug di aplikasi pusat", "expected": "2"])
            #expect(done.status == .seeOther)
            let stale = try await browser.post("/r/\(id.hex)/step", ["branch": "tidak", "expected": "2"])
            #expect(stale.status == .badRequest, "a second click on an old page does not complete the next step")
            let after = try await browser.get("/r/\(id.hex)").text
            #expect(after.contains("Andi (staf-ti)") && after.contains("→ tidak") && after.contains("Bug di aplikasi pusat"))
            #expect(after.contains("aria-current=\"step\""))
        }
        let detail = try court.staf.show(id.hex)
        #expect(detail.summary.step == 4 && detail.steps.last?.author == "Andi")
    }

    @Test func commentEditAndArchiveGoThroughTheLibrary() async throws {
        let court = try Court()
        let id = try court.meja.fileBug(title: "Lama", description: "d")
        try await court.web("meja").run { browser in
            #expect(try await browser.post("/r/\(id.hex)/comment", ["text": "Sudah dicoba ulang"]).status == .seeOther)
            #expect(try await browser.post("/r/\(id.hex)/edit", ["field": "title", "value": "Baru"]).status == .seeOther)
            let bad = try await browser.post("/r/\(id.hex)/edit", ["field": "case_number", "value": "bukan nomor"])
            #expect(bad.status == .badRequest && bad.text.contains("is not a district-court case number"))
            let number = try await browser.post("/r/\(id.hex)/edit", ["field": "nope", "value": "x"])
            #expect(number.status == .badRequest)
            #expect(try await browser.post("/r/\(id.hex)/archive", [:]).status == .seeOther)
            let again = try await browser.post("/r/\(id.hex)/archive", [:])
            #expect(again.status == .badRequest && again.text.contains("already archived"))
            let page = try await browser.get("/r/\(id.hex)").text
            #expect(page.contains("Sudah dicoba ulang") && page.contains("set title = Baru") && page.contains("diarsipkan"))
        }
        let detail = try court.meja.show(id.hex)
        #expect(detail.summary.status == "archived" && detail.fields["title"] == "Baru" && detail.comments.first?.author == "Rina")
    }

    @Test func anUnknownRecordIsNotFound() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            let unknown = try await browser.get("/r/abcdef0123")
            #expect(unknown.status == .notFound && unknown.text.contains("no record has an id starting with abcdef0123"))
            let nonsense = try await browser.get("/r/zz")
            #expect(nonsense.status == .badRequest)
            let post = try await browser.post("/r/abcdef0123/comment", ["text": "x"])
            #expect(post.status == .notFound)
        }
    }

    @Test func listsPaginateAndSearch() async throws {
        let court = try Court()
        try court.meja.fill(records: 120, sets: 0, batch: 1000, seed: 7) { _ in }
        try await court.web("meja").run { browser in
            let first = try await browser.get("/records").text
            #expect(first.contains("Halaman 1 dari 3 · 120 catatan") && first.contains("rel=\"next\""))
            let last = try await browser.get("/records?page=3").text
            #expect(last.contains("Halaman 3 dari 3") && !last.contains("rel=\"next\"") && last.components(separatedBy: "<tr").count == 21 + 1)
            let found = try await browser.get("/records?q=record+117").text
            #expect(found.contains("· 1 catatan") && found.contains("record 117"))
        }
    }
}

@Suite("Letters and the flow diagram") struct LetterAndFlowTests {
    @Test func onlyAnUmumKeuanganDeskNumbersAnOutgoingLetter() async throws {
        let court = try Court()
        let umum = try court.sandbox.member("umum", role: .umumKeuangan, invitedBy: court.kasubbag, clock: SystemClock())
        try umum.setCourtCode("W4-U2")
        let letter = try court.staf.draftLetter(subject: "Surat ke MA", recipient: "Mahkamah Agung", classification: "HK2.6")
        try court.carry(court.staf, court.kasubbag)
        try court.carry(court.kasubbag, umum)
        try await court.web("staf").run(person: "Andi") { browser in
            let page = try await browser.get("/r/\(letter.hex)").text
            #expect(!page.contains("action=\"/r/\(letter.hex)/number\""), "no number form on a staf TI desk")
            let refused = try await browser.post("/r/\(letter.hex)/number", [:])
            #expect(refused.status == .forbidden && refused.text.contains("letter numbers are given by umum-keuangan"))
        }
        try await court.web("umum").run(person: "Pak Budi") { browser in
            let page = try await browser.get("/r/\(letter.hex)").text
            #expect(page.contains("action=\"/r/\(letter.hex)/number\""))
            let numbered = try await browser.post("/r/\(letter.hex)/number", [:])
            #expect(numbered.status == .seeOther)
            let after = try await browser.get("/r/\(letter.hex)").text
            #expect(after.contains("/KPN.W4-U2/HK2.6/"))
        }
    }

    @Test func theDiagramMarksDoneStepsAndTheCurrentOne() throws {
        let sop = try #require(SOP.named("BUG"))
        // StepEntry has no public initialiser: made as the JSON `sinkron show --json` prints.
        func entry(_ step: Int, _ branch: String?, _ note: String, _ author: String, _ role: String, _ status: String) throws -> StepEntry {
            var object: [String: Any] = [
                "op": "0a:\(step)", "at": 1_796_083_200 - 978_307_200, "step": step, "note": note, "node": "n", "role": role, "author": author, "status": status,
            ]
            if let branch { object["branch"] = branch }
            return try JSONDecoder().decode(StepEntry.self, from: JSONSerialization.data(withJSONObject: object))
        }
        let steps = [
            try entry(1, nil, "", "Rina", "meja-satu", "ok"), try entry(2, "tidak", "pusat <b>", "Andi", "staf-ti", "ok"),
            try entry(6, nil, "", "X", "meja-satu", "unauthorized"),
        ]
        let svg = FlowDiagram(sop: sop, current: 4, status: "open", steps: steps, language: .id, dates: CourtDates(timeZone: TimeZone(identifier: "Asia/Jakarta")!)).render().text
        #expect(svg.components(separatedBy: "class=\"step done\"").count - 1 == 2, "steps 1 and 2 are done; a refused step is not drawn as done")
        #expect(svg.components(separatedBy: "class=\"step current\"").count - 1 == 1 && svg.contains("aria-current=\"step\""))
        #expect(svg.contains("Andi (staf-ti) · 1 Des 2026 07.00 WIB → tidak") && svg.contains("pusat &lt;b&gt;"))
        #expect(svg.contains("tidak → 4") && svg.contains("ya</text>"), "both answers of step 2 are drawn")
        #expect(svg.components(separatedBy: "<g class=\"step").count - 1 == sop.steps.count)
    }
}
