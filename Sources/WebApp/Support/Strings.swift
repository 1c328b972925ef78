import Foundation
import Replica

/// The languages of the web app. Indonesian first: it is what every court office works in.
public enum Language: String, Sendable, CaseIterable {
    case id
    case en
}

/// Every text the web app shows, in both languages. SOP texts (step activities, titles) come
/// from the SOP book in Indonesian, with the book's English gloss beside them on English pages.
enum L: String, CaseIterable, Sendable {
    case appName, home, records, newRecord, admin, overview, search, searchPlaceholder, language, switchLanguage
    case waitingForMe, myOpen, late, all, noRecords, showAll, page, of, previous, next, totalRecords
    case kind, title, status, step, nextRoles, lateBy, updated, created, minutes
    case kindBug, kindDeletion, kindLetter, kindTask, letterIn, letterOut
    case statusOpen, statusDone, statusArchived, statusWaiting
    case fileBug, fileDeletion, receiveLetter, draftLetter, addTask, submit, save, cancel
    case fieldTitle, fieldDescription, fieldModule, fieldCaseNumber, fieldReporter, fieldReason, fieldSubject, fieldSender
    case fieldRecipient, fieldReference, fieldLetterDate, fieldDisposition, fieldClassification, fieldNumber, fieldForRecord
    case fieldAssignee, fieldDue, fieldNotes, fieldDirection, sop, optional
    case caseNumberHint, caseNumberOK
    case personTitle, personPrompt, personName, personCurrent, personChange
    case fields, flow, timing, comments, addComment, comment, letters, history, edit, editField, value, archive, archiveConfirm
    case stepButtons, stepNote, doStep, answerYa, answerTidak, notYourStep, flowEnded, currentStep, since, standard, onTime
    case stepDoneBy, stepAt, stepAnswer, stepNotMarked
    case historyWhen, historyWho, historyWhat, historyOutcome, historyVia, local, outcomeWon, outcomeLost, outcomeReplaced, outcomeRefused, against
    case conflicts, conflictCount, winner, loser, keepThis, settled, noConflicts, field, record
    case merges, session, peer, address, when, received, sent, bytes, outcome, perOrigin, noSessions, duration, technicalDetail
    case alerts, noAlerts, members, role, node, revoked, revoke, invite, inviteName, invitationWritten, invitationCode, peers, lastSync, lastError, lag, never
    case verify, digest, verifyOK, verifyProblems, operations, signatures, origins, compareHint
    case openPerSOP, openPerDesk, perWeek, opened, closed, stepTimes, average, count, downloadCSV, printPage
    case loginNeeded, loginHow, forbiddenHost, forbiddenCSRF, notFound, notAllowed, errorTitle, adminOnly, internalError
    case liveUpdated, numberLetter, numberHint, yes, no, skipToContent
}

enum Strings {
    static let table: [L: [Language: String]] = [
        .appName: [.id: "Sinkron", .en: "Sinkron"],
        .home: [.id: "Beranda", .en: "Home"],
        .records: [.id: "Catatan", .en: "Records"],
        .newRecord: [.id: "Buat baru", .en: "New"],
        .admin: [.id: "Admin", .en: "Admin"],
        .overview: [.id: "Ikhtisar", .en: "Overview"],
        .search: [.id: "Cari", .en: "Search"],
        .searchPlaceholder: [.id: "judul, nomor perkara, perihal…", .en: "title, case number, subject…"],
        .language: [.id: "Bahasa", .en: "Language"],
        .switchLanguage: [.id: "English", .en: "Bahasa Indonesia"],
        .waitingForMe: [.id: "Menunggu peran saya", .en: "Waiting for my role"],
        .myOpen: [.id: "Catatan terbuka saya", .en: "My open records"],
        .late: [.id: "Terlambat dari standar waktu", .en: "Late against the time standard"],
        .all: [.id: "Semua catatan", .en: "All records"],
        .noRecords: [.id: "Tidak ada catatan.", .en: "No records."],
        .showAll: [.id: "Lihat semua", .en: "Show all"],
        .page: [.id: "Halaman", .en: "Page"],
        .of: [.id: "dari", .en: "of"],
        .previous: [.id: "Sebelumnya", .en: "Previous"],
        .next: [.id: "Berikutnya", .en: "Next"],
        .totalRecords: [.id: "catatan", .en: "records"],
        .kind: [.id: "Jenis", .en: "Kind"],
        .title: [.id: "Judul", .en: "Title"],
        .status: [.id: "Status", .en: "Status"],
        .step: [.id: "Langkah", .en: "Step"],
        .nextRoles: [.id: "Pelaksana", .en: "Performed by"],
        .lateBy: [.id: "Terlambat", .en: "Late by"],
        .updated: [.id: "Diubah", .en: "Updated"],
        .created: [.id: "Dibuat", .en: "Created"],
        .minutes: [.id: "menit", .en: "min"],
        .kindBug: [.id: "Laporan bug SIPP", .en: "SIPP bug report"],
        .kindDeletion: [.id: "Permohonan hapus data perkara", .en: "Case-deletion request"],
        .kindLetter: [.id: "Surat", .en: "Letter"],
        .kindTask: [.id: "Tugas", .en: "Task"],
        .letterIn: [.id: "Surat masuk", .en: "Incoming letter"],
        .letterOut: [.id: "Surat keluar", .en: "Outgoing letter"],
        .statusOpen: [.id: "berjalan", .en: "open"],
        .statusDone: [.id: "selesai", .en: "done"],
        .statusArchived: [.id: "diarsipkan", .en: "archived"],
        .statusWaiting: [.id: "menunggu alur SOP-nya", .en: "waiting for its SOP flow"],
        .fileBug: [.id: "Laporkan bug SIPP", .en: "File a SIPP bug report"],
        .fileDeletion: [.id: "Ajukan penghapusan data perkara", .en: "Request a case-data deletion"],
        .receiveLetter: [.id: "Catat surat masuk", .en: "Record an incoming letter"],
        .draftLetter: [.id: "Konsep surat keluar", .en: "Draft an outgoing letter"],
        .addTask: [.id: "Tambah tugas", .en: "Add a task"],
        .submit: [.id: "Kirim", .en: "Submit"],
        .save: [.id: "Simpan", .en: "Save"],
        .cancel: [.id: "Batal", .en: "Cancel"],
        .fieldTitle: [.id: "Judul", .en: "Title"],
        .fieldDescription: [.id: "Uraian", .en: "Description"],
        .fieldModule: [.id: "Modul SIPP", .en: "SIPP module"],
        .fieldCaseNumber: [.id: "Nomor perkara", .en: "Case number"],
        .fieldReporter: [.id: "Pelapor", .en: "Reported by"],
        .fieldReason: [.id: "Alasan", .en: "Reason"],
        .fieldSubject: [.id: "Perihal", .en: "Subject"],
        .fieldSender: [.id: "Pengirim", .en: "Sender"],
        .fieldRecipient: [.id: "Tujuan", .en: "Recipient"],
        .fieldReference: [.id: "Nomor surat pengirim", .en: "Sender's reference"],
        .fieldLetterDate: [.id: "Tanggal surat", .en: "Letter date"],
        .fieldDisposition: [.id: "Disposisi", .en: "Disposition"],
        .fieldClassification: [.id: "Klasifikasi", .en: "Classification"],
        .fieldNumber: [.id: "Nomor surat", .en: "Letter number"],
        .fieldForRecord: [.id: "Untuk catatan", .en: "For record"],
        .fieldAssignee: [.id: "Petugas", .en: "Assignee"],
        .fieldDue: [.id: "Tenggat", .en: "Due"],
        .fieldNotes: [.id: "Catatan", .en: "Notes"],
        .fieldDirection: [.id: "Arah", .en: "Direction"],
        .sop: [.id: "SOP", .en: "SOP"],
        .optional: [.id: "tidak wajib", .en: "optional"],
        .caseNumberHint: [.id: "Contoh: 123/Pdt.G/2026/PN Bls", .en: "For example: 123/Pdt.G/2026/PN Bls"],
        .caseNumberOK: [.id: "Bentuk nomor perkara benar.", .en: "The case number is well formed."],
        .personTitle: [.id: "Siapa yang bekerja di meja ini?", .en: "Who is working at this desk?"],
        .personPrompt: [.id: "Nama Anda dicatat sebagai penulis setiap perubahan dari peramban ini.", .en: "Your name is written as the author of every change made from this browser."],
        .personName: [.id: "Nama", .en: "Name"],
        .personCurrent: [.id: "Bekerja sebagai", .en: "Working as"],
        .personChange: [.id: "ganti", .en: "change"],
        .fields: [.id: "Isian", .en: "Fields"],
        .flow: [.id: "Alur SOP", .en: "SOP flow"],
        .timing: [.id: "Waktu", .en: "Timing"],
        .comments: [.id: "Komentar", .en: "Comments"],
        .addComment: [.id: "Tambah komentar", .en: "Add a comment"],
        .comment: [.id: "Komentar", .en: "Comment"],
        .letters: [.id: "Surat terkait", .en: "Linked letters"],
        .history: [.id: "Riwayat lengkap", .en: "Full history"],
        .edit: [.id: "Ubah", .en: "Edit"],
        .editField: [.id: "Ubah isian", .en: "Edit a field"],
        .value: [.id: "Nilai", .en: "Value"],
        .archive: [.id: "Arsipkan", .en: "Archive"],
        .archiveConfirm: [.id: "Arsipkan catatan ini (tidak ada langkah lagi)", .en: "Archive this record (no more steps)"],
        .stepButtons: [.id: "Langkah untuk meja ini", .en: "The step for this desk"],
        .stepNote: [.id: "Keterangan", .en: "Note"],
        .doStep: [.id: "Selesaikan langkah", .en: "Complete the step"],
        .answerYa: [.id: "Ya", .en: "Yes"],
        .answerTidak: [.id: "Tidak", .en: "No"],
        .notYourStep: [.id: "Langkah ini dilakukan oleh", .en: "This step is performed by"],
        .flowEnded: [.id: "Alur telah selesai.", .en: "The flow has ended."],
        .currentStep: [.id: "Langkah saat ini", .en: "Current step"],
        .since: [.id: "sejak", .en: "since"],
        .standard: [.id: "Standar waktu", .en: "Time standard"],
        .onTime: [.id: "masih dalam standar", .en: "within the standard"],
        .stepDoneBy: [.id: "oleh", .en: "by"],
        .stepAt: [.id: "pada", .en: "at"],
        .stepAnswer: [.id: "jawaban", .en: "answer"],
        .stepNotMarked: [.id: "tercatat, tidak dihitung", .en: "recorded, not counted"],
        .historyWhen: [.id: "Kapan", .en: "When"],
        .historyWho: [.id: "Siapa", .en: "Who"],
        .historyWhat: [.id: "Apa", .en: "What"],
        .historyOutcome: [.id: "Hasil", .en: "Outcome"],
        .historyVia: [.id: "Lewat", .en: "Via"],
        .local: [.id: "ditulis di sini", .en: "written here"],
        .outcomeWon: [.id: "menang", .en: "won"],
        .outcomeLost: [.id: "kalah", .en: "lost"],
        .outcomeReplaced: [.id: "diganti", .en: "replaced"],
        .outcomeRefused: [.id: "ditolak", .en: "refused"],
        .against: [.id: "melawan", .en: "against"],
        .conflicts: [.id: "Konflik", .en: "Conflicts"],
        .conflictCount: [.id: "penulisan bersamaan", .en: "concurrent writes"],
        .winner: [.id: "Pemenang", .en: "Winner"],
        .loser: [.id: "Kalah", .en: "Loser"],
        .keepThis: [.id: "Pakai nilai ini", .en: "Keep this value"],
        .settled: [.id: "sudah diselesaikan", .en: "settled"],
        .noConflicts: [.id: "Tidak ada konflik.", .en: "No conflicts."],
        .field: [.id: "Isian", .en: "Field"],
        .record: [.id: "Catatan", .en: "Record"],
        .merges: [.id: "Riwayat penggabungan", .en: "Merge history"],
        .session: [.id: "Sesi", .en: "Session"],
        .peer: [.id: "Mitra", .en: "Peer"],
        .address: [.id: "Alamat", .en: "Address"],
        .when: [.id: "Kapan", .en: "When"],
        .received: [.id: "Diterima", .en: "Received"],
        .sent: [.id: "Dikirim", .en: "Sent"],
        .bytes: [.id: "Bita", .en: "Bytes"],
        .outcome: [.id: "Hasil", .en: "Outcome"],
        .perOrigin: [.id: "Operasi masuk dan keluar, per asal", .en: "Operations in and out, per origin"],
        .technicalDetail: [.id: "Rincian teknis (JSON)", .en: "Technical detail (JSON)"],
        .noSessions: [.id: "Belum ada sesi penggabungan.", .en: "No merge sessions yet."],
        .duration: [.id: "Lama", .en: "Duration"],
        .alerts: [.id: "Peringatan", .en: "Alerts"],
        .noAlerts: [.id: "Tidak ada peringatan.", .en: "No alerts."],
        .members: [.id: "Anggota", .en: "Members"],
        .role: [.id: "Peran", .en: "Role"],
        .node: [.id: "Simpul", .en: "Node"],
        .revoked: [.id: "dicabut", .en: "revoked"],
        .revoke: [.id: "Cabut", .en: "Revoke"],
        .invite: [.id: "Undang", .en: "Invite"],
        .inviteName: [.id: "Nama simpul baru", .en: "New node's name"],
        .invitationWritten: [.id: "Berkas undangan ditulis; serahkan lewat flashdisk ke meja itu:", .en: "Invitation file written; hand it to that desk on a flash disk:"],
        .invitationCode: [
            .id: "Kode sekali pakai: berikan kepada meja itu secara terpisah (dibacakan atau di kertas), jangan di flashdisk yang sama:",
            .en: "One-time code: give it to that desk separately (read out or on paper), never on the same flash disk:",
        ],
        .peers: [.id: "Mitra sinkron", .en: "Sync peers"],
        .lastSync: [.id: "Sinkron terakhir", .en: "Last sync"],
        .lastError: [.id: "Galat terakhir", .en: "Last error"],
        .lag: [.id: "Jeda", .en: "Lag"],
        .never: [.id: "belum pernah", .en: "never"],
        .verify: [.id: "Periksa", .en: "Verify"],
        .digest: [.id: "Sidik isi (digest)", .en: "Digest"],
        .verifyOK: [.id: "Replika utuh: setiap rantai dan tanda tangan benar.", .en: "The replica is intact: every chain and signature checks out."],
        .verifyProblems: [.id: "Masalah ditemukan", .en: "Problems found"],
        .operations: [.id: "Operasi", .en: "Operations"],
        .signatures: [.id: "Tanda tangan", .en: "Signatures"],
        .origins: [.id: "Asal", .en: "Origins"],
        .compareHint: [.id: "Dua PC dengan sidik yang sama memegang isi yang sama.", .en: "Two PCs showing the same digest hold the same state."],
        .openPerSOP: [.id: "Terbuka dan terlambat per SOP", .en: "Open and late per SOP"],
        .openPerDesk: [.id: "Terbuka dan terlambat per meja", .en: "Open and late per desk"],
        .perWeek: [.id: "Dibuka dan selesai per minggu", .en: "Opened and closed per week"],
        .opened: [.id: "Dibuka", .en: "Opened"],
        .closed: [.id: "Selesai", .en: "Closed"],
        .stepTimes: [.id: "Waktu per langkah terhadap standar", .en: "Time per step against its standard"],
        .average: [.id: "Rata-rata", .en: "Average"],
        .count: [.id: "Jumlah", .en: "Count"],
        .downloadCSV: [.id: "Unduh CSV", .en: "Download CSV"],
        .printPage: [.id: "Cetak", .en: "Print"],
        .loginNeeded: [.id: "Perlu masuk", .en: "Sign-in needed"],
        .loginHow: [.id: "Buka aplikasi dengan tautan dari perintah berikut di PC ini:", .en: "Open the app with the link printed by this command on this PC:"],
        .forbiddenHost: [.id: "Alamat (Host) permintaan bukan alamat aplikasi ini.", .en: "The request's Host is not this app's address."],
        .internalError: [.id: "Sinkron gagal menampilkan halaman ini; catat pesan ini untuk staf TI:", .en: "Sinkron could not show this page; note this message for IT staff:"],
        .forbiddenCSRF: [.id: "Formulir kedaluwarsa atau bukan dari aplikasi ini. Muat ulang halaman lalu coba lagi.", .en: "The form is stale or did not come from this app. Reload the page and try again."],
        .notFound: [.id: "Tidak ditemukan", .en: "Not found"],
        .notAllowed: [.id: "Tidak diizinkan", .en: "Not allowed"],
        .errorTitle: [.id: "Tidak dapat dilakukan", .en: "Could not be done"],
        .adminOnly: [.id: "Halaman admin hanya untuk simpul admin, Kasubbag dan staf TI.", .en: "Admin pages are for the admin node, the Kasubbag and staf TI."],
        .liveUpdated: [.id: "Diperbarui dari sinkron", .en: "Updated by sync"],
        .numberLetter: [.id: "Beri nomor surat", .en: "Number the letter"],
        .numberHint: [.id: "Kosongkan untuk nomor berikutnya dari buku agenda.", .en: "Leave empty for the next number of the agenda book."],
        .yes: [.id: "ya", .en: "yes"],
        .no: [.id: "tidak", .en: "no"],
        .skipToContent: [.id: "Langsung ke isi", .en: "Skip to content"],
    ]

    static func text(_ key: L, _ language: Language) -> String {
        table[key]?[language] ?? table[key]?[.id] ?? key.rawValue
    }

    static func kind(_ kind: String, direction: String? = nil) -> L {
        switch kind {
        case "bug": .kindBug
        case "deletion": .kindDeletion
        case "letter": direction == "keluar" ? .letterOut : direction == "masuk" ? .letterIn : .kindLetter
        default: .kindTask
        }
    }

    static func status(_ status: String) -> L {
        switch status {
        case "open": .statusOpen
        case "done": .statusDone
        case "waiting": .statusWaiting
        default: .statusArchived
        }
    }

    static func field(_ field: Field) -> L {
        switch field {
        case .title: .fieldTitle
        case .description: .fieldDescription
        case .module: .fieldModule
        case .caseNumber: .fieldCaseNumber
        case .reporter: .fieldReporter
        case .reason: .fieldReason
        case .direction: .fieldDirection
        case .subject: .fieldSubject
        case .sender: .fieldSender
        case .recipient: .fieldRecipient
        case .number: .fieldNumber
        case .classification: .fieldClassification
        case .letterDate: .fieldLetterDate
        case .forRecord: .fieldForRecord
        case .disposition: .fieldDisposition
        case .assignee: .fieldAssignee
        case .due: .fieldDue
        case .notes: .fieldNotes
        case .reference: .fieldReference
        }
    }
}

/// Dates in the court's time zone, Indonesian (or English) format, with the zone's Indonesian
/// name (WIB, WITA, WIT).
struct CourtDates: Sendable {
    let timeZone: TimeZone

    var zoneName: String {
        switch timeZone.identifier {
        case "Asia/Jakarta", "Asia/Pontianak": "WIB"
        case "Asia/Makassar": "WITA"
        case "Asia/Jayapura": "WIT"
        default: timeZone.abbreviation() ?? timeZone.identifier
        }
    }

    func format(_ date: Date, _ language: Language) -> String {
        let f = DateFormatter()
        f.timeZone = timeZone
        f.locale = Locale(identifier: language == .id ? "id_ID" : "en_GB")
        f.dateFormat = language == .id ? "d MMM yyyy HH.mm" : "d MMM yyyy HH:mm"
        return f.string(from: date) + " " + zoneName
    }

    func day(_ date: Date, _ language: Language) -> String {
        let f = DateFormatter()
        f.timeZone = timeZone
        f.locale = Locale(identifier: language == .id ? "id_ID" : "en_GB")
        f.dateFormat = "d MMM"
        return f.string(from: date)
    }
}

/// A duration in minutes, as a person reads it ("2 jam 5 menit", "3 hari").
func describeMinutes(_ minutes: Int, _ language: Language) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60)
    let units = language == .id ? ("hari", "jam", "menit") : ("d", "h", "min")
    var parts: [String] = []
    if d > 0 { parts.append("\(d) \(units.0)") }
    if h > 0 { parts.append("\(h) \(units.1)") }
    if m > 0 || parts.isEmpty { parts.append("\(m) \(units.2)") }
    return parts.prefix(2).joined(separator: " ")
}
