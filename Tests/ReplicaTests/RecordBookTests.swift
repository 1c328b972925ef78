import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// The record books the SOPs require, printed per period.
@Suite("Record books") struct RecordBookTests {
    @Test func agendaBooksProblemBookAndReportsPerPeriod() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let clock = ManualClock()  // Monday 2 March 2026
        let staf = try sandbox.replica("staf", role: .stafTI, clock: clock)
        let meja = try sandbox.replica("meja", role: .mejaSatu, clock: clock)
        let umum = try sandbox.replica("umum", role: .umumKeuangan, clock: clock)
        try umum.setCourtCode("W4-U2")
        _ = try staf.receiveLetter(subject: "Undangan rapat, \"penting\"", sender: "PT Pekanbaru", reference: "W4-U/123/2026", letterDate: "2026-02-27")
        let keluar = try staf.draftLetter(subject: "Pemberitahuan bug SIPP", recipient: "SATGAS SIPP", classification: "HK2.6")
        try Exchange.runs(from: staf, to: umum)
        let number = try umum.numberLetter(keluar.hex, now: ManualClock.date(clock.now()))
        try Exchange.runs(from: umum, to: staf)
        _ = try meja.fileBug(title: "Relaas tidak tercetak", description: "d", module: "Relaas", caseNumber: "3/Pid.Sus-Anak/2024/PN Bls")
        _ = try meja.fileDeletion(caseNumber: "45/Pid.B/2023/PN Jkt.Pst", reason: "salah input")
        try Exchange.runs(from: meja, to: staf)
        _ = try staf.addTask(sop: "HIMPUN-LAPORAN", title: "Laporan bulanan Maret")
        _ = try staf.addTask(sop: "BACKUP", assignee: "Andi")
        clock.advance(by: 31 * 24 * 3_600_000)  // into April
        _ = try staf.receiveLetter(subject: "Surat April", sender: "Badilum")

        let march = try staf.period("2026-03")
        let inMarch = try staf.recordBook(.agendaMasuk, from: march.from, to: march.to, period: "2026-03")
        #expect(inMarch.rows.count == 1 && inMarch.rows[0][2] == "W4-U/123/2026" && inMarch.rows[0][4] == "PT Pekanbaru")
        #expect(inMarch.csv.contains("\"Undangan rapat, \"\"penting\"\"\""), "CSV quotes commas and quotes")
        let year = try staf.period("2026")
        #expect(try staf.recordBook(.agendaMasuk, from: year.from, to: year.to, period: "2026").rows.map { $0[0] } == ["1", "2"])
        let out = try staf.recordBook(.agendaKeluar, from: march.from, to: march.to, period: "2026-03")
        #expect(out.rows.count == 1 && out.rows[0][2] == number && out.rows[0][3] == "SATGAS SIPP")
        let problems = try staf.recordBook(.masalahSIPP, from: march.from, to: march.to, period: "2026-03")
        #expect(problems.rows.map { $0[2] }.sorted() == ["bug", "penghapusan data"])
        #expect(problems.rows.contains { $0[3] == "45/Pid.B/2023/PN Jkt.Pst" })
        let reports = try staf.recordBook(.laporanBerkala, from: march.from, to: march.to, period: "2026-03")
        #expect(reports.rows.map { $0[2] } == ["HIMPUN-LAPORAN@1"])
        let it = try staf.recordBook(.laporanTI, from: march.from, to: march.to, period: "2026-03")
        #expect(it.rows.map { $0[2] } == ["BACKUP@1"] && it.rows[0][4] == "Andi")
        for bad in ["2026-13", "26", "2026-03-01", "Maret"] {
            #expect(throws: ReplicaError.self) { try staf.period(bad) }
        }
    }
}
