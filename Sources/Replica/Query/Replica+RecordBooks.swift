import Foundation

/// The record books the SOPs require, per period: the incoming and outgoing agenda books
/// (004 SOP 11, steps 2 and 9), the SIPP problem book ("Buku riwayat permasalahan SIPP", 001 step
/// 4), the periodic reports (004 SOP 7-9, 002 SOP 3-4) and the IT management report ("Laporan
/// Pengelolaan IT", 002 SOP 5-7, seed 003).
public enum RecordBookKind: String, CaseIterable, Sendable, Codable {
    case agendaMasuk = "agenda-masuk"
    case agendaKeluar = "agenda-keluar"
    case masalahSIPP = "masalah-sipp"
    case laporanBerkala = "laporan-berkala"
    case laporanTI = "laporan-ti"

    public var title: String {
        switch self {
        case .agendaMasuk: "Buku Agenda Surat Masuk"
        case .agendaKeluar: "Buku Agenda Surat Keluar"
        case .masalahSIPP: "Buku Riwayat Permasalahan SIPP"
        case .laporanBerkala: "Laporan Berkala (Bulanan, Caturwulan, Semester, Tahunan)"
        case .laporanTI: "Laporan Pengelolaan IT"
        }
    }

    /// The flows whose tasks a report book lists.
    static let reportFlows = ["HIMPUN-LAPORAN", "LAPORAN-TAHUNAN", "DATA-SAKIP", "SAKIP", "RKT", "PENYUSUNAN-RKT", "RKAKL", "DIPA", "REVISI-DIPA", "REVISI-POK"]
}

/// One book for one period: its columns and one row per record, oldest first.
public struct RecordBook: Sendable, Codable, Equatable {
    public var book: String
    public var title: String
    /// The period, as asked: `2026-03`, `2026`, or `from..to`.
    public var period: String
    public var columns: [String]
    public var rows: [[String]]

    /// RFC 4180 CSV, header first.
    public var csv: String {
        func cell(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([columns] + rows).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}

extension Replica {
    /// The book for records created in [from, to).
    public func recordBook(_ kind: RecordBookKind, from: Date, to: Date, period: String) throws -> RecordBook {
        let calendar = workingCalendar
        let day = { (ms: Int64) in String(calendar.format(Date(timeIntervalSince1970: Double(ms) / 1000)).prefix(10)) }
        let (lo, hi) = (SQLValue.int(Int64(from.timeIntervalSince1970 * 1000)), SQLValue.int(Int64(to.timeIntervalSince1970 * 1000)))
        func state(_ status: String, _ step: Int64?) -> String { status == "open" ? "open, step \(step.map(String.init) ?? "-")" : status }
        var rows: [[String]] = []
        let columns: [String]
        switch kind {
        case .agendaMasuk, .agendaKeluar:
            let incoming = kind == .agendaMasuk
            columns = incoming
                ? ["No", "Tanggal Terima", "Nomor Surat", "Tanggal Surat", "Pengirim", "Perihal", "Disposisi", "Status"]
                : ["No", "Tanggal", "Nomor Surat", "Tujuan", "Perihal", "Klasifikasi", "Untuk", "Status"]
            try db.prepare(
                """
                SELECT created_at, reference, letter_date, sender, subject, disposition, status, step, number, recipient, classification, for_record
                FROM letters WHERE direction = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id
                """
            ).bind(.text(incoming ? "masuk" : "keluar"), lo, hi).forEach { r in
                let n = "\(rows.count + 1)"
                rows.append(
                    incoming
                        ? [n, day(r.int(0)), r.optionalText(1) ?? "", r.optionalText(2) ?? "", r.optionalText(3) ?? "", r.optionalText(4) ?? "", r.optionalText(5) ?? "", state(r.text(6), r.optionalInt(7))]
                        : [n, day(r.int(0)), r.optionalText(8) ?? "(belum bernomor)", r.optionalText(9) ?? "", r.optionalText(4) ?? "", r.optionalText(10) ?? "", r.optionalText(11).map { String($0.prefix(8)) } ?? "", state(r.text(6), r.optionalInt(7))])
            }
        case .masalahSIPP:
            columns = ["No", "Tanggal", "Jenis", "Perkara", "Modul", "Uraian", "Pelapor", "Status"]
            var entries: [(Int64, String, [String])] = []
            try db.prepare("SELECT created_at, id, case_number, module, title, reporter, author, status, step FROM bug_reports WHERE created_at >= ? AND created_at < ?")
                .bind(lo, hi).forEach { r in
                    entries.append((r.int(0), r.text(1), [day(r.int(0)), "bug", r.optionalText(2) ?? "", r.optionalText(3) ?? "", r.optionalText(4) ?? "", r.optionalText(5) ?? r.text(6), state(r.text(7), r.optionalInt(8))]))
                }
            try db.prepare("SELECT created_at, id, case_number, reason, reporter, author, status, step FROM deletion_requests WHERE created_at >= ? AND created_at < ?")
                .bind(lo, hi).forEach { r in
                    entries.append((r.int(0), r.text(1), [day(r.int(0)), "penghapusan data", r.optionalText(2) ?? "", "", r.optionalText(3) ?? "", r.optionalText(4) ?? r.text(5), state(r.text(6), r.optionalInt(7))]))
                }
            rows = entries.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.enumerated().map { ["\($0.offset + 1)"] + $0.element.2 }
        case .laporanBerkala, .laporanTI:
            columns = ["No", "Tanggal", "SOP", "Judul", "Petugas", "Status"]
            try db.prepare("SELECT created_at, sop, title, assignee, status, step FROM tasks WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id")
                .bind(lo, hi).forEach { r in
                    let code = FlowPin(r.text(1)).code
                    let report = RecordBookKind.reportFlows.contains(code)
                    guard report == (kind == .laporanBerkala) else { return }
                    rows.append(["\(rows.count + 1)", day(r.int(0)), r.text(1), r.optionalText(2) ?? "", r.optionalText(3) ?? "", state(r.text(4), r.optionalInt(5))])
                }
        }
        return RecordBook(book: kind.rawValue, title: kind.title, period: period, columns: columns, rows: rows)
    }

    /// The [start, end) of a period typed as `2026-03` (a month) or `2026` (a year), in the court's zone.
    public func period(_ text: String) throws -> (from: Date, to: Date) {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = courtZone.timeZone
        let parts = text.split(separator: "-").compactMap { Int($0) }
        let bad = ReplicaError(.invalidInput, "\"\(text)\" is not a period", hint: "write a month (2026-03) or a year (2026)")
        guard let year = parts.first, (1900...2199).contains(year), parts.count <= 2, text.split(separator: "-").count == parts.count else { throw bad }
        if parts.count == 2 {
            guard (1...12).contains(parts[1]), let from = c.date(from: DateComponents(year: year, month: parts[1], day: 1)),
                let to = c.date(byAdding: .month, value: 1, to: from)
            else { throw bad }
            return (from, to)
        }
        guard let from = c.date(from: DateComponents(year: year, month: 1, day: 1)), let to = c.date(byAdding: .year, value: 1, to: from) else { throw bad }
        return (from, to)
    }
}
