import Foundation
import Testing

@testable import WebApp

@Suite("Languages") struct LanguageTests {
    @Test(arguments: Language.allCases) func everyStringExistsIn(_ language: Language) {
        for key in L.allCases {
            let text = Strings.table[key]?[language] ?? ""
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(key) has no \(language.rawValue) text")
        }
    }

    @Test func indonesianIsTheDefaultAndTheEnglishSwitchIsRemembered() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            var browser = browser
            let first = try await browser.get("/").text
            #expect(first.contains("lang=\"id\"") && first.contains("Beranda") && first.contains("Menunggu peran saya"))
            let switched = try await browser.post("/lang", ["lang": "en", "back": "/records"])
            #expect(switched.status == .seeOther && switched.location == "/records")
            let cookie = switched.headers[.setCookie] ?? ""
            #expect(cookie.hasPrefix("lang=en") && cookie.contains("Max-Age"), "remembered: \(cookie)")
            browser.cookies["lang"] = "en"
            let english = try await browser.get("/").text
            #expect(english.contains("lang=\"en\"") && english.contains("Waiting for my role") && !english.contains("Beranda"))
            let away = try await browser.post("/lang", ["lang": "id", "back": "https://evil.example/"])
            #expect(away.location == "/", "only local paths are followed back")
        }
    }

    @Test func datesAreInTheCourtsZoneAndIndonesianFormat() {
        let dates = CourtDates(timeZone: TimeZone(identifier: "Asia/Jakarta")!)
        let date = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01 00:00 UTC
        #expect(dates.format(date, .id) == "1 Des 2026 07.00 WIB")
        #expect(dates.format(date, .en) == "1 Dec 2026 07:00 WIB")
        #expect(CourtDates(timeZone: TimeZone(identifier: "Asia/Makassar")!).format(date, .id).hasSuffix("08.00 WITA"))
    }
}
