import Foundation
import Testing

@testable import Replica

/// The shipped template file covers every flow of the seeds, and the loader refuses a file whose
/// flows cannot be followed.
@Suite struct SOPTemplateFileTests {
    /// Every SOP of the seeds, by the code Sinkron gives it: 002's twelve, 004's fifteen (SOP 11
    /// as two codes, one per direction), seed 001. Seeds 000 and 003 repeat 002 SOP 09 and 05.
    static let seedFlows: [String: (book: String, sop: String?)] = [
        "RKAKL": ("002", "01"), "REVISI-DIPA": ("002", "02"), "RKT": ("002", "03"), "SAKIP": ("002", "04"),
        "WEBSITE": ("002", "05"), "KONTEN-WEBSITE": ("002", "06"), "JARINGAN": ("002", "07"), "WIFI": ("002", "08"),
        "UPGRADE": ("002", "09"), "MONITOR": ("002", "10"), "BUG": ("002", "11"), "HAPUS": ("002", "12"),
        "DIPA": ("004", "1"), "REVISI-POK": ("004", "2"), "PERAWATAN-SIPP": ("004", "3"), "PENGELOLAAN-WEBSITE": ("004", "4"),
        "PERAWATAN-JARINGAN": ("004", "5"), "PELIPUTAN-WEBSITE": ("004", "6"), "HIMPUN-LAPORAN": ("004", "7"),
        "LAPORAN-TAHUNAN": ("004", "8"), "DATA-SAKIP": ("004", "9"), "PENYUSUNAN-RKT": ("004", "10"),
        "SURAT-MASUK": ("004", "11"), "SURAT-KELUAR": ("004", "11"), "BACKUP": ("004", "12"), "SINKRON": ("004", "13"),
        "SERVER": ("004", "14"), "GANGGUAN-SERVER": ("004", "15"), "PEMELIHARAAN-SIPP": ("001", nil),
    ]

    @Test func everySeedFlowIsShippedWithItsSource() throws {
        let shipped = Dictionary(uniqueKeysWithValues: SOP.catalog.map { ($0.code, $0) })
        #expect(Set(shipped.keys) == Set(Self.seedFlows.keys))
        for (code, where_) in Self.seedFlows {
            let sop = try #require(shipped[code])
            let main = try #require(sop.references.first)
            #expect(main.book == where_.book && main.sop == where_.sop, "\(code) comes from \(main.label)")
            #expect(main.seed.hasPrefix(where_.book + "_") && main.seed.hasSuffix(".txt"), "\(code): \(main.seed)")
            if where_.book == "004" {
                #expect(main.number == "\(where_.sop ?? "")/KPN.W4-U2/SOP.PTIP/OT1.2/I/2024", "\(code)")
            }
        }
        // 28 distinct flows: SURAT-MASUK and SURAT-KELUAR are one table.
        let tables = Set(SOP.catalog.map { "\($0.references[0].book)/\($0.references[0].sop ?? "-")" })
        #expect(tables.count == 28)
        // The two repeated seeds are recorded as second copies; 004 lists SOP 2 without a table.
        #expect(shipped["UPGRADE"]?.references.map(\.book) == ["002", "000"])
        #expect(shipped["WEBSITE"]?.references.map(\.book) == ["002", "003"])
        #expect(shipped["REVISI-POK"]?.tableMissing == true && shipped["REVISI-POK"]?.steps.isEmpty == true)
    }

    @Test func bothCourtsVersionsDiffer() throws {
        // PN Bengkalis's own SIPP care and website SOPs are not the other court's.
        let care = try #require(SOP.named("PERAWATAN-SIPP")), other = try #require(SOP.named("PEMELIHARAAN-SIPP"))
        #expect(care.steps.map(\.time.text) != other.steps.map(\.time.text))
        let site = try #require(SOP.named("PENGELOLAAN-WEBSITE")), tais = try #require(SOP.named("WEBSITE"))
        #expect(site.steps.count == 7 && tais.steps.count == 9)
        #expect(site.step(5)?.activity.contains("kepada sekretaris") == true)
        #expect(tais.step(5)?.activity.contains("Kasubbag") == true)
    }

    @Test func timesAreKeptAsWritten() throws {
        #expect(SOP.named("WEBSITE")?.step(8)?.time.text == "1 jam - 3hari")
        #expect(SOP.named("SINKRON")?.step(2)?.time.text == "Situasional tergantung Jaringan")
        #expect(SOP.named("SERVER")?.step(5)?.time.text == "1 hari kerja")
        #expect(SOP.named("PEMELIHARAAN-SIPP")?.step(3)?.time.text == "relatif")
        // One time for the whole procedure belongs to the flow, not to each step.
        for code in ["UPGRADE", "MONITOR"] {
            let sop = try #require(SOP.named(code))
            #expect(sop.time?.text == "1 hari kerja", "\(code)")
            #expect(sop.steps.allSatisfy { !$0.time.hasDeadline }, "\(code)")
        }
    }

    @Test func shapesTheSeedsDraw() throws {
        // Early ends: a network fault fixed at step 2, a server fault solved at step 2.
        #expect(SOP.named("JARINGAN")?.step(2)?.decision?.answers.map(\.next) == [nil, 3])
        #expect(SOP.named("GANGGUAN-SERVER")?.step(2)?.decision?.answers.map(\.label) == ["tuntas", "belum tuntas"])
        // Answers other than ya/tidak, and a loop back to an earlier step.
        #expect(SOP.named("MONITOR")?.step(2)?.decision?.labels == "berhasil / tidak berhasil")
        let konten = try #require(SOP.named("KONTEN-WEBSITE")?.step(3)?.decision)
        #expect(konten.answers.map(\.label) == ["valid", "tidak valid"] && konten.tidak == 2)
        #expect(SOP.named("PELIPUTAN-WEBSITE")?.step(6)?.decision?.tidak == 4)
        // Both parafs, in turn; external parties recorded by a court role.
        let paraf = try #require(SOP.named("SURAT-KELUAR")?.step(6))
        #expect(paraf.actors == [.kasubbag, .sekretaris] && paraf.mode == .inTurn)
        #expect(SOP.named("UPGRADE")?.step(6)?.external?.party.hasPrefix("SATGAS SIPP") == true)
        #expect(SOP.named("RKAKL")?.steps.compactMap(\.external?.party).contains("KPPN") == true)
        #expect(SOP.named("SERVER")?.step(4)?.actors == [.ppk, .umumKeuangan])
        #expect(SOP.named("PEMELIHARAAN-SIPP")?.step(6)?.actors.contains(.panitera) == true)
        #expect(SOP.named("SURAT-MASUK")?.step(7)?.actors == [.ketua, .wakilKetua])
    }

    // MARK: - The loader's checks

    static let good = """
        {"format": 1, "flows": [{"code": "UJI", "kind": "task", "title": "Uji", "gloss": "test",
          "source": {"seed": "x.txt", "book": "x"},
          "steps": [
            {"n": 1, "activity": "a", "gloss": "a", "actors": ["staf-ti"], "time": "15 menit", "output": "", "next": 2},
            {"n": 2, "activity": "b", "gloss": "b", "actors": ["kasubbag", "sekretaris"], "mode": "in-turn", "time": "1 hari kerja", "output": "", "next": 3},
            {"n": 3, "activity": "c", "gloss": "c", "actors": ["staf-ti"], "time": "relatif", "output": "",
             "decision": {"question": "?", "gloss": "?", "answers": [{"answer": "berhasil", "next": null}, {"answer": "tidak berhasil", "next": 1}]}}
          ]}]}
        """

    static func variant(_ from: String, _ to: String) -> Data { Data(good.replacingOccurrences(of: from, with: to).utf8) }

    @Test func aGoodFileLoads() throws {
        let sops = try SOPTemplates.decode(Data(Self.good.utf8))
        let sop = try #require(sops.first)
        #expect(sop.step(2)?.mode == .inTurn)
        #expect(sop.step(3)?.decision?.branch(for: "Tidak Berhasil") == .tidak)
        #expect(sop.step(3)?.decision?.branch(for: "ya") == .ya)
    }

    @Test(arguments: [
        ("\"next\": 3}", "\"next\": 9}", "leads to step 9"),
        ("[\"staf-ti\"], \"time\": \"15 menit\"", "[\"hakim\"], \"time\": \"15 menit\"", "is not a role"),
        ("\"15 menit\"", "\"sebentar\"", "not an SOP time standard"),
        ("\"next\": 2}", "\"next\": 3}", "step 2 cannot be reached"),
        ("\"answer\": \"berhasil\", \"next\": null", "\"answer\": \"berhasil\", \"next\": 1", "no path reaches an end"),
        ("\"mode\": \"in-turn\"", "\"mode\": \"bersama\"", "is not one of"),
        ("{\"answer\": \"berhasil\", \"next\": null}, ", "", "has 1 answers"),
        ("\"format\": 1", "\"format\": 2", "format 2"),
    ])
    func aBrokenFileIsRefused(from: String, to: String, message: String) {
        #expect(Self.variant(from, to) != Data(Self.good.utf8), "the variant must change the file")
        #expect {
            _ = try SOPTemplates.decode(Self.variant(from, to))
        } throws: { error in
            (error as? ReplicaError).map { $0.code == .invalidInput && $0.message.contains(message) } ?? false
        }
    }

    @Test func duplicateCodesAreRefused() {
        let twice = Self.good.replacingOccurrences(of: "\"flows\": [{", with: "\"flows\": [{\"code\": \"uji\", \"kind\": \"task\", \"title\": \"t\", \"gloss\": \"g\", \"source\": {\"seed\": \"x\", \"book\": \"x\"}, \"tableMissing\": true, \"steps\": []}, {")
        #expect(throws: ReplicaError.self) { _ = try SOPTemplates.decode(Data(twice.utf8)) }
    }

    @Test(arguments: [
        ("15 menit", 15, nil), ("1 Menit", 1, nil), ("60 menit", 60, nil), ("3 jam", 180, nil), ("3jam", 180, nil),
        ("1 hari kerja", nil, 1), ("2 Hari Kerja", nil, 2), ("5 Hari", nil, 5), ("1 hari", nil, 1),
    ] as [(String, Int?, Int?)])
    func timesParse(text: String, minutes: Int?, days: Int?) throws {
        let t = try TimeStandard(text)
        #expect(t.text == text)
        #expect(t.limit?.minutes == minutes)
        #expect(t.limit?.unit == (days == nil ? t.limit?.unit : .day))
        if let days { #expect(t.limit?.value == days) }
        #expect(t.lower == nil)
    }

    @Test func rangesAndNoDeadlines() throws {
        let range = try TimeStandard("1 jam - 3hari")
        #expect(range.limit == .init(3, .day) && range.lower == .init(1, .hour))
        let minutes = try TimeStandard("15-30 menit")
        #expect(minutes.limit == .init(30, .minute) && minutes.lower == .init(15, .minute))
        for words in ["relatif", "Relatif", "Situasional tergantung Jaringan", "Disesuaikan dengan waktu kegiatan", ""] {
            #expect(try !TimeStandard(words).hasDeadline, "\(words)")
        }
        #expect(try TimeStandard("  2   Jam ").limit == .init(2, .hour), "spaces and case as the OCR gives them")
        #expect(try TimeStandard("1 hari kerja").limit == .init(1, .day) && TimeStandard("5hari").limit == .init(5, .day))
        #expect(try TimeStandard("1 jam – 2 hari kerja").limit == .init(2, .day), "an en dash")
        for bad in ["0 menit", "tiga hari", "12345 menit", "15 menit lagi", "15", "- 3 hari", "1 jam -", "1 minggu"] {
            #expect(throws: ReplicaError.self, "\(bad)") { try TimeStandard(bad) }
        }
    }
}
