import Replica
import Testing

/// What users type: case numbers, letter numbers, due times and free text.
@Suite("Input validation") struct ValidationTests {
    @Test(arguments: [
        "123/Pdt.G/2026/PN Bls", "4/Pdt.G.S/2026/PN Bls", "15/Pid.Sus/2026/PN Bls", "7/Pdt.P/2026/PN Bls", "88/Pid.B/2026/PN Bls",
        "2/Pid.Pra/2026/PN Bls", "1/Pdt.G/1999/PN Tanjung Pinang", "3/Pid.Sus-Anak/2024/PN Bls", "12/Pdt.Sus-PHI/2024/PN Pbr",
        "45/Pid.B/2023/PN Jkt.Pst", "7/Pdt.Sus-Pailit/2024/PN Niaga Jkt.Pst", "21/Pid.Sus-TPK/2025/PN Pbr", "5/Pid.C/2026/PN Bls",
        "9/Pid.S/2026/PN Bls", "3/Pdt.Plw/2025/PN Bls", "1/Pdt.Sus-BPSK/2024/PN Jkt.Utr", "8/Pid.Sus-Lingkungan/2024/PN Bls",
    ])
    func caseNumbersOfEveryShapeAreAccepted(number: String) throws {
        #expect(try Validation.caseNumber(number) == number)
        #expect(try Validation.caseNumber("  \(number) ") == number, "surrounding blanks are trimmed")
        #expect(try Validation.caseNumber("\(number)\n") == number, "a pasted line end is not kept in the value")
    }

    @Test(arguments: [
        "abc", "123/Xyz/2026/PN Bls", "123/Pdt.G/26/PN Bls", "", "0/Pdt.G/2026/PN Bls", "123/Pdt.G/2026/Bls", "123/Pdt.G/2026/PN bls",
        "123/pdt.G/2026/PN Bls", "123/Pdt/2026/PN Bls", "123/Pdt.G/2026/PN Bls/1", "1234567/Pdt.G/2026/PN Bls", "123/Pdt.G/2126/PN Bls",
        "123 /Pdt.G/2026/PN Bls", "123/Pdt.G/2026/PN Bls\nx", "3/Pid.Sus-/2024/PN Bls", "3/Pid.Sus--Anak/2024/PN Bls",
        "3/Pid-Anak/2024/PN Bls", "45/Pid.B/2023/PN Jkt.", "45/Pid.B/2023/PN .Pst", "45/Pid.B/2023/PN Jkt..Pst", "12/Pdt.Sus-PHI/2024/PA Pbr",
        "12/Pdt.Sus PHI/2024/PN Pbr", "3/Pid.Sus-Anak-X-Y/2024/PN Bls",
    ])
    func malformedCaseNumbersAreRefused(number: String) {
        #expect {
            try Validation.caseNumber(number)
        } throws: { error in
            let e = error as? ReplicaError
            return e?.code == .invalidInput && e?.hint?.contains("123/Pdt.G/2026/PN Bls") == true
        }
    }

    @Test(arguments: ["123/KPN.W4-U2/HK2.6/XI/2026", "1/KPN.W4-U2/SOP.PTIP/OT1.2/I/2024", "45/PAN.W4-U2/HK2.6/XII/2025", "9/KPN.W4-U2/KP1.2/IV/2026"])
    func letterNumbersAreAccepted(number: String) throws {
        #expect(try Validation.letterNumber(number) == number)
        #expect(try Validation.letterNumber("\t\(number)\r\n") == number)
    }

    @Test(arguments: [
        "abc", "123/KPN.W4-U2/HK2.6/XIII/2026", "123/KPN.W4-U2/HK2.6/11/2026", "123/KPNW4-U2/HK2.6/XI/2026", "123/KPN.W4-U2/XI/2026",
        "0/KPN.W4-U2/HK2.6/XI/2026", "123/KPN.W4-U2/HK2.6/XI/26", "123/KPN.W4-U2/HK2.6/xi/2026", "123/KPN.W4-U2/HK2.6/XI/2026/1",
        "123/KPN.W4-U2/A/B/C/XI/2026", "123/Pdt.G/2026/PN Bls",
    ])
    func malformedLetterNumbersAreRefused(number: String) {
        #expect(throws: ReplicaError.self) { try Validation.letterNumber(number) }
    }

    @Test func dueTimes() throws {
        #expect(try Validation.due("2026-11-30") == "2026-11-30")
        #expect(try Validation.due("2026-11-30T16:00") == "2026-11-30T16:00")
        let endOfDay = try #require(Validation.parseDue("2026-11-30"))
        let fourPM = try #require(Validation.parseDue("2026-11-30T16:00"))
        #expect(endOfDay > fourPM)
        for bad in ["30-11-2026", "2026-13-01", "besok", "", "2026-11-30T25:00"] {
            #expect(throws: ReplicaError.self, "\(bad)") { try Validation.due(bad) }
        }
    }

    @Test func freeText() throws {
        #expect(try Validation.text("  judul  ", "title") == "judul")
        #expect(try Validation.text(nil, "module", required: false) == nil)
        #expect(try Validation.text("   ", "module", required: false) == nil)
        #expect(try Validation.text("baris satu\nbaris dua\tdan tab", "notes") == "baris satu\nbaris dua\tdan tab")
        #expect(throws: ReplicaError.self) { try Validation.text(nil, "title") }
        #expect(throws: ReplicaError.self) { try Validation.text(" \n ", "title") }
        #expect(throws: ReplicaError.self) { try Validation.text(String(repeating: "é", count: 101), "title") }
        #expect(throws: ReplicaError.self) { try Validation.text("bel\u{07}", "title") }
        #expect(throws: ReplicaError.self) { try Validation.text("esc\u{1B}[31m", "title") }
    }
}
