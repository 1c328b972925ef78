// The SOP flows shipped with Sinkron, transcribed from the OCR seed documents in `seeds/`.
//
// Conventions used throughout this file:
// - `activity`, `requirements` and `output` are the Indonesian text of the seed's "Alur Proses"
//   table. OCR noise (broken words, stray characters, lost letters) and plain typos are fixed;
//   nothing is rewritten or summarised. An empty `requirements`/`output` means the seed's cell is
//   empty.
// - `minutes` is the Mutu Baku "waktu": "N menit" = N, "N jam" = 60·N, "1 hari" / "1 hari kerja"
//   = 480 working minutes. Where the seed gives no fixed time ("relatif", "situasional") the step
//   gets one working day (480) as its upper bound; a range ("1 jam - 3 hari") takes its upper
//   bound. Every such reading is marked "interpreted" at the step.
// - Where the seed's Mutu Baku is one merged cell for the whole table (seed 000, 002 SOP 10),
//   every step carries that cell's requirements, output and time.
// - `actors` map the Pelaksana column to `Role`: user/pengguna SIPP → .mejaSatu + .userSipp;
//   meja satu → .mejaSatu; staf, pranata komputer, Admin SIPP/website, operator SIPP → .stafTI;
//   Kasubbag PTIP → .kasubbag; (Panitera) Sekretaris → .sekretaris; Ketua/KPN → .ketua;
//   Umum & Keuangan, PPK/Kasub Umum dan Keuangan → .umumKeuangan. Steps done by an outside party
//   (SATGAS SIPP, Tim Pengembang SIPP, pihak ketiga) go to the court role that records them.
// - A decision's `ya` is the "ya" or "berhasil" answer, `tidak` the "tidak" or "tidak berhasil"
//   answer; nil ends the flow.

extension SOP {
    /// Every SOP flow shipped with Sinkron, in a stable order.
    public static let catalog: [SOP] = [
        bug,
        hapus,
        suratMasuk,
        suratKeluar,
        backup,
        sinkron,
        monitor,
        upgrade,
        pemeliharaanSIPP,
        server,
        gangguanServer,
        jaringan,
        website,
    ]

    /// Looks an SOP up by code, case-insensitively.
    public static func named(_ code: String) -> SOP? {
        let wanted = code.lowercased()
        return catalog.first { $0.code.lowercased() == wanted }
    }
}

// MARK: - Bug reports and case-deletion requests (seed 002, SOP 11 and 12)

extension SOP {
    // seed 002, SOP 11. Columns: User SIPP | Staf IT | Kasubbag PTIP | Bagian Umum dan Keuangan |
    // Ketua PN. The OCR lost most of the flow symbols; actors of steps 4–6 follow DESIGN.md.
    private static let bug = SOP(
        code: "BUG",
        title: "Prosedur Pelaporan Terjadinya Kesalahan (Bug) di Aplikasi Sistem Informasi Penelusuran Perkara (SIPP)",
        gloss: "Reporting a bug in the SIPP application",
        source: "seed 002, SOP 11",
        kind: .bug,
        steps: [
            // seed 002, SOP 11, step 1
            SOPStep(
                number: 1,
                activity: "Laporan dari user SIPP tentang kesalahan (bug) di Aplikasi SIPP",
                gloss: "A SIPP user reports a bug in the SIPP application",
                actors: [.mejaSatu, .userSipp],
                minutes: 1,
                requirements: "Data kesalahan (bug), SIPP",
                output: "Data Kesalahan (bug) di aplikasi SIPP",
                next: 2
            ),
            // seed 002, SOP 11, step 2 (tidak → 4, ya → 3 in the flow chart)
            SOPStep(
                number: 2,
                activity: "Memeriksa kesalahan (bug) yang di maksud.",
                gloss: "IT staff examine the reported bug",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan (bug), Server, Aplikasi SIPP",
                output: "Mengetahui apakah kesalahan (bug) tersebut dapat di perbaiki sendiri atau tidak",
                decision: SOPDecision(
                    question: "Apakah kesalahan (bug) tersebut dapat di perbaiki sendiri?",
                    gloss: "Can IT staff fix the bug themselves?",
                    ya: 3,
                    tidak: 4
                ),
                next: nil
            ),
            // seed 002, SOP 11, step 3: fixed in house, then straight to step 10
            SOPStep(
                number: 3,
                activity: "Memperbaiki kesalahan (bug)",
                gloss: "IT staff fix the bug",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan (bug), Server, Aplikasi SIPP",
                output: "Aplikasi SIPP yang telah di perbaiki.",
                next: 10
            ),
            // seed 002, SOP 11, step 4
            SOPStep(
                number: 4,
                activity: "Melaporkan Kesalahan (bug) tersebut",
                gloss: "IT staff report the bug to the Kasubbag PTIP",
                actors: [.stafTI],
                minutes: 5,
                requirements: "Data kesalahan (bug), server, SIPP",
                output: "Perintah tindaklanjut penyelesaian kesalahan (bug) tersebut",
                next: 5
            ),
            // seed 002, SOP 11, step 5
            SOPStep(
                number: 5,
                activity: "Membuat surat pemberitahuan kesalahan (bug) yang ditujukan ke SATGAS SIPP",
                gloss: "IT staff draft the bug notification letter to SATGAS SIPP",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan (bug), Komputer, Printer.",
                output: "Surat pemberitahuan tentang adanya kesalahan (bug) di aplikasi SIPP",
                next: 6
            ),
            // seed 002, SOP 11, step 6
            SOPStep(
                number: 6,
                activity: "Melaporkan Kesalahan (bug) sekaligus solusi yang harus dilakukan yaitu dengan mengirim pemberitahuan bug tersebut ke SATGAS SIPP",
                gloss: "The Kasubbag reports the bug and the remedy (notifying SATGAS SIPP) to the Ketua",
                actors: [.kasubbag],
                minutes: 5,
                requirements: "Data kesalahan (bug), Surat pemberitahuan kesalahan (bug)",
                output: "Intruksi Penyelesaian masalah kesalahan (bug) aplikasi SIPP",
                next: 7
            ),
            // seed 002, SOP 11, step 7
            SOPStep(
                number: 7,
                activity: "Menandatangani surat pemberitahuan tentang adanya kesalahan (bug) Aplikasi SIPP",
                gloss: "The Ketua signs the bug notification letter",
                actors: [.ketua],
                minutes: 1,
                requirements: "Surat pemberitahuan adanya kesalahan (bug) di aplikasi SIPP",
                output: "Surat pemberitahuan adanya kesalahan (bug) di aplikasi yang telah ditandatangani oleh KPN",
                next: 8
            ),
            // seed 002, SOP 11, step 8
            SOPStep(
                number: 8,
                activity: "Mengirim surat pemberitahuan tentang adanya kesalahan (bug) Aplikasi SIPP",
                gloss: "Umum & Keuangan number the letter, record it in the agenda and send it to SATGAS SIPP",
                actors: [.umumKeuangan],
                minutes: 1,
                requirements: "Surat pemberitahuan adanya kesalahan (bug)",
                output: "Surat pemberitahuan telah di beri nomor surat, di agendakan dan di kirim ke SATGAS SIPP",
                next: 9
            ),
            // seed 002, SOP 11, step 9. Interpreted: the actor cell is illegible in the OCR; either
            // the PTIP staff (who file outgoing letters in 004 SOP 11) or Umum & Keuangan may file it.
            SOPStep(
                number: 9,
                activity: "Mengarsipkan surat pemberitahuan tentang adanya kesalahan (bug) Aplikasi SIPP",
                gloss: "The notification letter is archived",
                actors: [.stafTI, .umumKeuangan],
                minutes: 1,
                requirements: "Surat pemberitahuan adanya kesalahan (bug)",
                output: "Permohonan telah di beri nomor surat",
                next: 10
            ),
            // seed 002, SOP 11, step 10
            SOPStep(
                number: 10,
                activity: "Memberitahu user SIPP bahwa masalah telah dan atau sedang ditindaklanjuti dan proses penginputan SIPP dapat dilakukan",
                gloss: "IT staff tell the user the problem is handled and SIPP input can go on",
                actors: [.stafTI],
                minutes: 1,
                requirements: "Laporan Penyelesaian Masalah / Kendala.",
                output: "Proses Input SIPP dilanjutkan kembali",
                next: nil
            ),
        ]
    )

    // seed 002, SOP 12. Columns: Meja Satu | Staf IT | Kasubbag PTIP | Bagian Umum dan Keuangan |
    // Ketua PN. Row 1 is badly garbled in the OCR; it is reconstructed from its legible fragments
    // ("penginputan ... perkara.", "menit", "Input Perkara ... Di SIPP") and the parallel row of SOP 11.
    private static let hapus = SOP(
        code: "HAPUS",
        title: "Prosedur Penghapusan Data Perkara di Sistem Informasi Penelusuran Perkara (SIPP)",
        gloss: "Deleting wrongly entered case data in SIPP",
        source: "seed 002, SOP 12",
        kind: .deletion,
        steps: [
            // seed 002, SOP 12, step 1. Interpreted: activity and requirements reconstructed; the
            // digit of "… menit" is lost, 1 minute as in SOP 11 step 1 and DESIGN.md.
            SOPStep(
                number: 1,
                activity: "Melaporkan kesalahan penginputan perkara.",
                gloss: "Meja satu reports a wrongly entered case",
                actors: [.mejaSatu],
                minutes: 1,
                requirements: "Data kesalahan input, SIPP",
                output: "Data kesalahan Input Perkara Di SIPP",
                next: 2
            ),
            // seed 002, SOP 12, step 2. The output reads "apakah kesalahan input sampai ke SIPP MA
            // atau tidak": reached MA (ya) needs a deletion request to MA (step 4); not reached
            // (tidak) can be deleted locally (step 3), as DESIGN.md describes.
            SOPStep(
                number: 2,
                activity: "Memeriksa data kesalahan input perkara yang di maksud.",
                gloss: "IT staff check the wrong case data",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan Input, SIPP",
                output: "Mengetahui apakah kesalahan input sampai ke SIPP MA atau tidak",
                decision: SOPDecision(
                    question: "Apakah kesalahan input sudah sampai ke SIPP MA?",
                    gloss: "Has the wrong data already reached SIPP MA?",
                    ya: 4,
                    tidak: 3
                ),
                next: nil
            ),
            // seed 002, SOP 12, step 3: deleted locally, then straight to step 10
            SOPStep(
                number: 3,
                activity: "Menghapus data Perkara yang salah input",
                gloss: "IT staff delete the wrongly entered case data",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan Input, SIPP",
                output: "Data yang salah telah terhapus",
                next: 10
            ),
            // seed 002, SOP 12, step 4
            SOPStep(
                number: 4,
                activity: "Melaporkan Kesalahan Penginputan data perkara di SIPP",
                gloss: "IT staff report the wrong case input to the Kasubbag PTIP",
                actors: [.stafTI],
                minutes: 5,
                requirements: "Data kesalahan Input Perkara, SIPP",
                output: "Tindaklanjut penyelesaian kesalahan input data",
                next: 5
            ),
            // seed 002, SOP 12, step 5
            SOPStep(
                number: 5,
                activity: "Membuat surat permohonan penghapusan data perkara yang di tujukan ke Mahkamah Agung RI",
                gloss: "IT staff draft the deletion request letter to the Mahkamah Agung",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Data kesalahan Input Perkara, Komputer, Printer",
                output: "Surat permohonan Penghapusan Data Perkara di SIPP MA",
                next: 6
            ),
            // seed 002, SOP 12, step 6
            SOPStep(
                number: 6,
                activity: "Melaporkan Kesalahan input data sekaligus solusi yang harus dilakukan yaitu dengan mengajukan permohonan penghapusan data perkara ke Mahkamah Agung RI",
                gloss: "The Kasubbag reports the wrong input and the remedy (a deletion request to MA) to the Ketua",
                actors: [.kasubbag],
                minutes: 5,
                requirements: "Data kesalahan Input Perkara, Surat Permohonan Penghapusan Data",
                output: "Intruksi Penyelesaian masalah kesalahan input perkara",
                next: 7
            ),
            // seed 002, SOP 12, step 7
            SOPStep(
                number: 7,
                activity: "Menandatangani surat permohonan penghapusan data perkara",
                gloss: "The Ketua signs the deletion request letter",
                actors: [.ketua],
                minutes: 1,
                requirements: "Surat Permohonan Penghapusan Data",
                output: "Surat Permohonan Penghapusan data perkara yang telah ditandatangani oleh KPN",
                next: 8
            ),
            // seed 002, SOP 12, step 8
            SOPStep(
                number: 8,
                activity: "Mengirim surat permohonan penghapusan data perkara di SIPP",
                gloss: "Umum & Keuangan number the letter, record it in the agenda and send it to MA",
                actors: [.umumKeuangan],
                minutes: 1,
                requirements: "Surat Permohonan Penghapusan Data",
                output: "Surat Permohonan telah di beri nomor surat, di agendakan dan di kirim ke Mahkamah Agung RI",
                next: 9
            ),
            // seed 002, SOP 12, step 9. Interpreted: actor cell illegible, as in SOP 11 step 9.
            SOPStep(
                number: 9,
                activity: "Mengarsipkan surat permohonan penghapusan data perkara di SIPP",
                gloss: "The deletion request letter is archived",
                actors: [.stafTI, .umumKeuangan],
                minutes: 1,
                requirements: "Surat Permohonan Penghapusan Data",
                output: "Permohonan telah di beri nomor surat",
                next: 10
            ),
            // seed 002, SOP 12, step 10. Interpreted: the seed gives no time; 1 minute as in
            // SOP 11 step 10.
            SOPStep(
                number: 10,
                activity: "Memberitahu Meja Satu bahwa masalah telah di selesaikan dan proses penginputan SIPP bisa dilanjutkan",
                gloss: "IT staff tell meja satu the problem is solved and SIPP input can go on",
                actors: [.stafTI],
                minutes: 1,
                requirements: "Laporan Penyelesaian Masalah / Kendala.",
                output: "Proses Input SIPP berjalan normal kembali",
                next: nil
            ),
        ]
    )
}

// MARK: - Letters (seed 004, SOP 11)

extension SOP {
    // seed 004, SOP 11 "Surat Masuk dan Keluar". Columns: Staf PTIP | Kasubbag PTIP | Sekretaris |
    // Ketua / Wakil Ketua. One table serves both directions: an incoming letter runs 1–3 and, when
    // it needs an answer, goes on to 4–9; an outgoing letter starts at the draft (4).
    private static let suratSteps: [SOPStep] = [
        // seed 004, SOP 11, step 1 (○ in the Kasubbag column)
        SOPStep(
            number: 1,
            activity: "Menerima surat masuk yang telah didisposisi atasan dari subbag umum dan keuangan",
            gloss: "Receive an incoming letter, with the superior's disposition, from Umum & Keuangan",
            actors: [.kasubbag],
            minutes: 10,
            requirements: "Surat",
            output: "Klasifikasi Surat",
            next: 2
        ),
        // seed 004, SOP 11, step 2
        SOPStep(
            number: 2,
            activity: "Mencatat pada buku agenda surat masuk dan melaksanakan sesuai disposisi surat",
            gloss: "Record it in the incoming agenda book and act on the disposition",
            actors: [.stafTI],
            minutes: 15,
            requirements: "Surat",
            output: "Tercatat dalam agenda surat dan proses lebih lanjut",
            next: 3
        ),
        // seed 004, SOP 11, step 3. The seed draws no decision symbol; the question comes from
        // step 4 ("apabila surat tersebut memerlukan jawaban atau tindak lanjut").
        SOPStep(
            number: 3,
            activity: "Mengarsip surat masuk sesuai dengan jenis atau kelompok surat",
            gloss: "Archive the incoming letter by type or group",
            actors: [.stafTI],
            minutes: 10,
            requirements: "Surat",
            output: "Tertib surat arsip",
            decision: SOPDecision(
                question: "Apakah surat tersebut memerlukan jawaban atau tindak lanjut?",
                gloss: "Does the letter need a reply or follow-up?",
                ya: 4,
                tidak: nil
            ),
            next: nil
        ),
        // seed 004, SOP 11, step 4: the Kasubbag drafts (seed); staf TI also drafts the outgoing
        // letters of the bug and deletion flows (DESIGN.md), so both may do this step.
        SOPStep(
            number: 4,
            activity: "Membuat konsep balasan surat apabila surat tersebut memerlukan jawaban atau tindak lanjut",
            gloss: "Draft the reply (or outgoing letter)",
            actors: [.kasubbag, .stafTI],
            minutes: 30,
            requirements: "Surat",
            output: "Surat Keluar",
            next: 5
        ),
        // seed 004, SOP 11, step 5 (□ in the Staf column: the staff types it)
        SOPStep(
            number: 5,
            activity: "Menyerahkan konsep surat kepada staf guna pengetikan surat balasan",
            gloss: "Hand the draft to the staff, who type the letter",
            actors: [.stafTI],
            minutes: 10,
            requirements: "Surat",
            output: "Surat Keluar",
            next: 6
        ),
        // seed 004, SOP 11, step 6 (output cell empty in the seed)
        SOPStep(
            number: 6,
            activity: "Meneliti hasil pengetikan konsep surat dan memaraf surat",
            gloss: "Kasubbag and Sekretaris check the typed letter and initial (paraf) it",
            actors: [.kasubbag, .sekretaris],
            minutes: 10,
            requirements: "Surat",
            output: "",
            next: 7
        ),
        // seed 004, SOP 11, step 7
        SOPStep(
            number: 7,
            activity: "Memintakan tandatangan surat kepada ketua",
            gloss: "The Ketua signs the letter",
            actors: [.ketua],
            minutes: 15,
            requirements: "Surat",
            output: "Surat Keluar",
            next: 8
        ),
        // seed 004, SOP 11, step 8. The seed marks the Staf column (the staff ask for the number);
        // the number itself is given by Umum & Keuangan, and only that role may assign letter
        // numbers (DESIGN.md "Letter numbers"), so the step belongs to .umumKeuangan.
        SOPStep(
            number: 8,
            activity: "Meminta nomor surat dan mengirimkannya melalui subbag umum dan keuangan",
            gloss: "Umum & Keuangan give the letter its number and send it",
            actors: [.umumKeuangan],
            minutes: 10,
            requirements: "Surat",
            output: "Surat Keluar",
            next: 9
        ),
        // seed 004, SOP 11, step 9 (○ in the Staf column)
        SOPStep(
            number: 9,
            activity: "Mencatat dalam buku agenda surat keluar dan mengarsipkannya",
            gloss: "Record it in the outgoing agenda book and archive it",
            actors: [.stafTI],
            minutes: 15,
            requirements: "Surat Keluar",
            output: "Arsip",
            next: nil
        ),
    ]

    private static let suratMasuk = SOP(
        code: "SURAT-MASUK",
        title: "Surat Masuk dan Keluar",
        gloss: "Incoming letter (and its reply)",
        source: "seed 004, SOP 11",
        kind: .letter,
        steps: suratSteps
    )

    // Starts at the draft (step 4); steps 1–3 are the incoming half of the same table and are only
    // reached through SURAT-MASUK.
    private static let suratKeluar = SOP(
        code: "SURAT-KELUAR",
        title: "Surat Masuk dan Keluar",
        gloss: "Outgoing letter",
        source: "seed 004, SOP 11",
        kind: .letter,
        start: 4,
        steps: suratSteps
    )
}

// MARK: - SIPP tasks (seed 004 SOP 12, 13; seed 002 SOP 10; seed 000; seed 001)

extension SOP {
    // seed 004, SOP 12. Columns: Staf IT | Kasub PTIP | Sekretaris. The flow symbols are lost in
    // the seed's table; the cells that held them are the odd-width ones, read as the actors.
    private static let backup = SOP(
        code: "BACKUP",
        title: "Backup Database SIPP",
        gloss: "SIPP database backup",
        source: "seed 004, SOP 12",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Persiapan Backup SIPP",
                gloss: "Prepare the SIPP backup",
                actors: [.stafTI],
                minutes: 5,
                requirements: "Komputer, Koneksi internet, Database",
                output: "Aktifnya komputer dan koneksi internet",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Melakukan backup database SIPP secara berkala kedalam Komputer Backup",
                gloss: "Back the SIPP database up to the backup computer, periodically",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Komputer, database",
                output: "File back up database SIPP",
                next: 3
            ),
            // seed 004, SOP 12, step 3: both the Staf IT and the Kasub PTIP cells are marked
            SOPStep(
                number: 3,
                activity: "Melaporkan kegiatan Backup Database SIPP",
                gloss: "Report the backup to the Kasub PTIP",
                actors: [.stafTI, .kasubbag],
                minutes: 5,
                requirements: "Komputer, database",
                output: "Kegiatan back up database telah diketahui oleh kasub PTIP",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Selesai",
                gloss: "Done",
                actors: [.stafTI],
                minutes: 1,
                requirements: "Selesai aktifitas back up database",
                output: "Back up database SIPP sudah selesai",
                next: nil
            ),
        ]
    )

    // seed 004, SOP 13. Columns: Admin SIPP | Tim Pengembang SIPP | Kasub PTIP (actors read from
    // the odd-width cells, as for SOP 12).
    private static let sinkron = SOP(
        code: "SINKRON",
        title: "Sinkronisasi SIPP ke SIPP MA dan ke SIPP Website PN",
        gloss: "SIPP sync to SIPP MA and the court website",
        source: "seed 004, SOP 13",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Persiapan sinkronisasi SIPP ke SIPP MA dan SIPP Website",
                gloss: "Prepare the sync to SIPP MA and the SIPP website",
                actors: [.stafTI],
                minutes: 5,
                requirements: "PC, jaringan, internet",
                output: "Penyamaan data dengan SIPP MA dan Website PN",
                next: 2
            ),
            // seed 004, SOP 13, step 2: Admin SIPP and Tim Pengembang SIPP (the SIPP developers,
            // recorded by staf TI). Interpreted: "Situasional tergantung Jaringan" → 480.
            SOPStep(
                number: 2,
                activity: "Sinkronisasi SIPP ke SIPP MA dan SIPP Website",
                gloss: "Run the sync (with the SIPP development team when needed; staf TI records it)",
                actors: [.stafTI],
                minutes: 480,
                requirements: "PC, jaringan, internet",
                output: "Penyamaan data dengan SIPP MA dan Website PN",
                next: 3
            ),
            // seed 004, SOP 13, step 3: only the Kasub PTIP cell is marked (the Kasub takes the
            // oral report).
            SOPStep(
                number: 3,
                activity: "Melaporkan Sinkronisasi SIPP ke Kasub PTIP",
                gloss: "The sync is reported (orally) to the Kasub PTIP",
                actors: [.kasubbag],
                minutes: 5,
                requirements: "Laporan Lisan",
                output: "Sinkronisasi diketahui Kasub",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Sinkronisasi Selesai",
                gloss: "Sync done",
                actors: [.stafTI],
                minutes: 1,
                requirements: "PC, jaringan, internet",
                output: "Sinkronisasi selesai",
                next: nil
            ),
        ]
    )

    // seed 002, SOP 10. Columns: Staf TI | Kasubbag PTIP. Mutu Baku is one merged cell for the
    // whole table ("File Log, File database, File Aplikasi" / "1 hari kerja" / "Terbukanya
    // informasi bagi para pencari keadilan"); interpreted: repeated on every step (480 each).
    private static let monitor = SOP(
        code: "MONITOR",
        title: "Monitoring Sinkronisasi dan Back Up SIPP",
        gloss: "Monitoring SIPP sync and backup",
        source: "seed 002, SOP 10",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Sinkron dan Back-up SIPP secara otomatis menggunakan task scheduler.",
                gloss: "SIPP syncs and backs up automatically via the task scheduler",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File Log, File database, File Aplikasi",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 2
            ),
            // seed 002, SOP 10, step 2: "berhasil" → 4, "Tidak berhasil" → 3
            SOPStep(
                number: 2,
                activity: "Mengecek keberhasilan proses sinkron dan Back-up SIPP dengan melihat file Log dan file hasil Back-up",
                gloss: "Check from the log and backup files that sync and backup succeeded",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File Log, File database, File Aplikasi",
                output: "Terbukanya informasi bagi para pencari keadilan",
                decision: SOPDecision(
                    question: "Apakah proses sinkron dan Back-up SIPP berhasil?",
                    gloss: "Did the sync and backup succeed? (ya = berhasil)",
                    ya: 4,
                    tidak: 3
                ),
                next: nil
            ),
            // seed 002, SOP 10, step 3. Interpreted: the chart continues to step 4 afterwards.
            SOPStep(
                number: 3,
                activity: "Dilakukan proses Sinkron dan Back Up secara manual",
                gloss: "Sync and back up by hand",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File Log, File database, File Aplikasi",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "File Back-up di copy ke harddisk eksternal",
                gloss: "Copy the backup file to an external hard disk",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File Log, File database, File Aplikasi",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Melaporkan hasil sinkron dan back-up kepada Kasubbag perencanaan, TI, dan Pelaporan",
                gloss: "Report the sync and backup result to the Kasubbag PTIP",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File Log, File database, File Aplikasi",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: nil
            ),
        ]
    )

    // seed 000, SOP 09. Columns: Staf TI | Kasubbag PTIP. Mutu Baku is one merged cell ("File
    // aplikasi, File Database" / "1 hari kerja" / "Terbukanya informasi bagi para pencari
    // keadilan"); interpreted: repeated on every step (480 each). Branch labels in the seed:
    // "ya / tidak" (step 4) and "tidak berhasil" (step 7 → 8, the downgrade).
    private static let upgrade = SOP(
        code: "UPGRADE",
        title: "Up-Grade Aplikasi SIPP",
        gloss: "Upgrading the SIPP application",
        source: "seed 000, SOP 09",
        kind: .task,
        steps: [
            // seed 000, step 1: the notice may come from SATGAS SIPP; staf TI records it
            SOPStep(
                number: 1,
                activity: "Muncul Notifikasi/Tanda Up-Grade Aplikasi SIPP atau pemberitahuan dari SATGAS SIPP (Admin TI Pengadilan Tinggi)",
                gloss: "An upgrade notice appears in SIPP or comes from SATGAS SIPP (recorded by staf TI)",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Back-Up Database dan Aplikasi SIPP",
                gloss: "Back up the SIPP database and application",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 3
            ),
            SOPStep(
                number: 3,
                activity: "Memastikan proses sinkronisasi berhasil",
                gloss: "Make sure the sync succeeded",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 4
            ),
            // seed 000, step 4: ya → 5 (self-upgrade), tidak → 6 (with SATGAS SIPP)
            SOPStep(
                number: 4,
                activity: "Memastikan proses Up-grade bisa dilakukan secara mandiri atau tidak",
                gloss: "Decide whether the upgrade can be done in house",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                decision: SOPDecision(
                    question: "Apakah proses Up-grade bisa dilakukan secara mandiri?",
                    gloss: "Can the upgrade be done in house?",
                    ya: 5,
                    tidak: 6
                ),
                next: nil
            ),
            SOPStep(
                number: 5,
                activity: "Proses Up-Grade Mandiri",
                gloss: "Upgrade in house",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 7
            ),
            SOPStep(
                number: 6,
                activity: "Proses Up-Grade yang di bantu oleh SATGAS SIPP (Admin TI Pengadilan Tinggi)",
                gloss: "Upgrade with the help of SATGAS SIPP (performed with SATGAS SIPP, recorded by staf TI)",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 7
            ),
            // seed 000, step 7: berhasil → 9, tidak berhasil → 8 (downgrade)
            SOPStep(
                number: 7,
                activity: "Mengecek keberhasilan Up-Grade Aplikasi",
                gloss: "Check whether the upgrade succeeded",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                decision: SOPDecision(
                    question: "Apakah Up-Grade Aplikasi berhasil?",
                    gloss: "Did the upgrade succeed? (ya = berhasil, tidak = tidak berhasil)",
                    ya: 9,
                    tidak: 8
                ),
                next: nil
            ),
            SOPStep(
                number: 8,
                activity: "Dilakukan Down-grade",
                gloss: "Downgrade SIPP to the previous version",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 9
            ),
            SOPStep(
                number: 9,
                activity: "Dilakukan proses sinkronisasi",
                gloss: "Run the sync",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: 10
            ),
            SOPStep(
                number: 10,
                activity: "Melaporkan hasil Up-Grade kepada Kasubbag perencanaan, TI, dan Pelaporan",
                gloss: "Report the upgrade result to the Kasubbag PTIP",
                actors: [.stafTI],
                minutes: 480,
                requirements: "File aplikasi, File Database",
                output: "Terbukanya informasi bagi para pencari keadilan",
                next: nil
            ),
        ]
    )

    // seed 001. Columns: Operator/Koordinator SIPP | Kasubbag PTIP | Panitera Sekretaris. The OCR
    // lost every flow symbol; actors are read from the activities (interpreted).
    private static let pemeliharaanSIPP = SOP(
        code: "PEMELIHARAAN-SIPP",
        title: "Maintenance SIPP",
        gloss: "SIPP maintenance",
        source: "seed 001",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Memonitoring secara berkala akses local server SIPP dan online user",
                gloss: "Periodically monitor access to the local SIPP server and online users",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Akses SIPP",
                output: "Akses SIPP tersedia",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Melakukan backup seluruh sistem dan database SIPP, secara berkala ke dalam media backup CD, harddisk maupun media lain.",
                gloss: "Periodically back up the whole SIPP system and database to CD, hard disk or other media",
                actors: [.stafTI],
                minutes: 120,
                requirements: "Akses Server, jaringan internet, CD, harddisk/flashdisk",
                output: "ADK / Data File",
                next: 3
            ),
            // seed 001, step 3. Interpreted: "relatif" → 480.
            SOPStep(
                number: 3,
                activity: "Memonitoring secara berkala aktivitas user (Hakim, PP, JSP, dan pengguna lain)",
                gloss: "Periodically monitor user activity (judges, clerks, bailiffs, other users)",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Akses server",
                output: "Log aktifitas user",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Menerima pengaduan dan keluhan dari pengguna SIPP",
                gloss: "Take complaints from SIPP users",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Buku riwayat permasalahan SIPP",
                output: "Layanan pengaduan",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Melaporkan situasi kondisi, permasalahan dan alternatif pemecahan masalah SIPP kepada pimpinan",
                gloss: "Report the state of SIPP, its problems and possible solutions to the superiors",
                actors: [.stafTI],
                minutes: 15,
                requirements: "Laporan masalah dari User",
                output: "Laporan situasi kondisi",
                next: 6
            ),
            // seed 001, step 6. Interpreted: taken by the "pimpinan" of step 5, i.e. the Kasubbag
            // or the Panitera Sekretaris; "relatif" → 480.
            SOPStep(
                number: 6,
                activity: "Mengambil langkah-langkah pemecahan masalah yang ditemui dalam pengelolaan SIPP",
                gloss: "The superiors decide how to solve the problems found",
                actors: [.kasubbag, .sekretaris],
                minutes: 480,
                requirements: "Data pemecahan masalah",
                output: "Solusi/pemecahan masalah",
                next: 7
            ),
            // seed 001, step 7: in house, with Umum & Keuangan's maintenance section or a third
            // party; recorded by staf TI. Interpreted: "relatif" → 480.
            SOPStep(
                number: 7,
                activity: "Melakukan/menyelesaikan pemecahan masalah (troubleshooting) secara mandiri / berhubungan dengan bagian pemeliharaan perlengkapan (Subbag Umum & Keuangan) ataupun melibatkan pihak ketiga",
                gloss: "Troubleshoot in house, with Umum & Keuangan or with a third party (recorded by staf TI)",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Solusi pemecahan masalah",
                output: "Akses SIPP tersedia dan lancar",
                next: nil
            ),
        ]
    )
}

// MARK: - Server, network and website tasks (seed 004 SOP 14, 15; seed 002 SOP 07; seed 003)

extension SOP {
    // seed 004, SOP 14. Columns: Admin SIPP | Tim Pengembang SIPP | Kasub PTIP | PPK/Kasub Umum dan
    // Keuangan (actors read from the odd-width cells; Tim Pengembang SIPP → .stafTI).
    private static let server = SOP(
        code: "SERVER",
        title: "Pemeliharaan Server",
        gloss: "Server maintenance",
        source: "seed 004, SOP 14",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Menginventarisir kebutuhan server",
                gloss: "List what the server needs",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Jaringan internet, peralatan jaringan, computer server/laptop",
                output: "Terdatanya laporan kondisi server",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Menyampaikan kebutuhan server kepada Kasub PTIP",
                gloss: "Pass the server's needs to the Kasub PTIP",
                actors: [.stafTI],
                minutes: 60,
                output: "Tersedianya informasi",
                next: 3
            ),
            SOPStep(
                number: 3,
                activity: "Menerima dan mengecek kebutuhan server dan menyampaikan ke sekretaris",
                gloss: "The Kasub PTIP checks the needs and passes them to the Sekretaris",
                actors: [.kasubbag],
                minutes: 60,
                output: "Disampaikannya laporan kondisi server",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Memerintahkan perawatan dan pemeliharaan server",
                gloss: "Order the server's care and maintenance",
                actors: [.umumKeuangan],
                minutes: 60,
                output: "Disetujuinya pengadaan/pemeliharaan server",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Menghubungi pihak ketiga untuk merawat dan memperbaiki server",
                gloss: "Engage a third party to service and repair the server",
                actors: [.umumKeuangan],
                minutes: 480,
                output: "Tersedianya pihak ketiga yang menyediakan jasa/pemeliharaan",
                next: 6
            ),
            SOPStep(
                number: 6,
                activity: "Mengawasi proses perawatan dan pemeliharaan server",
                gloss: "Supervise the servicing (done by the third party)",
                actors: [.umumKeuangan],
                minutes: 480,
                output: "Dipastikannya penyelesaian pemeliharaan server",
                next: 7
            ),
            SOPStep(
                number: 7,
                activity: "Menerima laporan hasil pelaksanaan perawatan dan pemeliharaan server telah selesai",
                gloss: "Receive the report that the servicing is finished",
                actors: [.umumKeuangan],
                minutes: 480,
                output: "Dilaporkannya penyelesaian pemeliharaan barang",
                next: nil
            ),
        ]
    )

    // seed 004, SOP 15. Same columns as SOP 14. Rows 3–7 handle a fault "yang belum tuntas"
    // (not solved at step 2); the seed draws no branch, so the flow is linear.
    private static let gangguanServer = SOP(
        code: "GANGGUAN-SERVER",
        title: "Penanganan Gangguan Server",
        gloss: "Handling server faults",
        source: "seed 004, SOP 15",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Menerima dan mencatat laporan gangguan server",
                gloss: "Take and log the server fault report",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Jaringan internet, peralatan jaringan, computer server/laptop",
                output: "Terdatanya laporan kondisi server",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Mengatasi permasalahan gangguan server",
                gloss: "Fix the server fault",
                actors: [.stafTI],
                minutes: 180,
                output: "Tersedianya informasi",
                next: 3
            ),
            SOPStep(
                number: 3,
                activity: "Melaporkan hasil penyelesaian gangguan server yang belum tuntas",
                gloss: "Report a fault that could not be fully solved",
                actors: [.stafTI],
                minutes: 60,
                output: "Disampaikannya laporan kondisi server",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Menerima hasil penyelesaian gangguan server/mainframe yang belum tuntas dan memberikan arahan penyelesaian dan koordinasi dengan PPK berkaitan dengan anggaran",
                gloss: "The Kasub PTIP directs the fix and coordinates the budget with the PPK",
                actors: [.kasubbag],
                minutes: 60,
                output: "Disetujuinya pengadaan/pemeliharaan server",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Menghubungi pihak pusat/pihak ketiga untuk koordinasi /konsultasi penyelesaian gangguan server yang belum tuntas",
                gloss: "Contact the centre or a third party about the unsolved fault",
                actors: [.umumKeuangan],
                minutes: 480,
                output: "Tersedianya pihak ketiga yang menyediakan jasa perbaikan server/mainframe",
                next: 6
            ),
            SOPStep(
                number: 6,
                activity: "Mengawasi perkembangan tindak lanjut penyelesaian gangguan server/mainframe",
                gloss: "Follow the progress of the repair",
                actors: [.stafTI],
                minutes: 480,
                output: "Dipastikannya penyelesaian perbaikan server/mainframe",
                next: 7
            ),
            SOPStep(
                number: 7,
                activity: "Menerima laporan hasil pelaksanaan pembangunan/pengembangan server/mainframe telah selesai",
                gloss: "Receive the report that the repair is finished",
                actors: [.stafTI],
                minutes: 60,
                output: "Dilaporkannya perbaikan server",
                next: nil
            ),
        ]
    )

    // seed 002, SOP 07. Columns: Staf | Kasubbag PTIP | Sekretaris | PPK/Bagian Umum dan Keuangan.
    // The OCR lost the flow symbols; interpreted: actors follow the same rows of 004 SOP 15, whose
    // table is this one adapted to servers (receive/fix → staf, discuss → Kasubbag, instruct and
    // coordinate with the PPK → Sekretaris, contact third party → PPK, supervise → staf, receive
    // the final report → Kasubbag). A "selesai" terminal seems to sit beside step 2, but no ya/tidak
    // branch is legible, so the flow is linear.
    private static let jaringan = SOP(
        code: "JARINGAN",
        title: "Penanganan Gangguan Jaringan Komunikasi Data",
        gloss: "Handling data network faults",
        source: "seed 002, SOP 07",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Menerima dan mencatat laporan gangguan jaringan komunikasi data.",
                gloss: "Take and log the network fault report",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK)",
                output: "Terdatanya laporan kondisi jaringan komunikasi data",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Mengecek laporan gangguan dan mencoba memperbaiki gangguan jaringan komunikasi data tersebut",
                gloss: "Check the fault and try to fix it",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK)",
                output: "Tersedianya informasi",
                next: 3
            ),
            SOPStep(
                number: 3,
                activity: "Menerima laporan gangguan jaringan komunikasi data dan mendiskusikan penyelesaian yang harus dilakukan",
                gloss: "The Kasubbag takes the fault report and discusses the fix",
                actors: [.kasubbag],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK)",
                output: "Disampaikannya laporan kondisi jaringan komunikasi data",
                next: 4
            ),
            // seed 002, SOP 07, step 4. The row is cut off after "berkaitan dengan"; interpreted:
            // completed with "anggaran" from the same row of 004 SOP 15.
            SOPStep(
                number: 4,
                activity: "Menerima laporan gangguan jaringan komunikasi data dan penyelesaian yang harus dilakukan selanjutnya memberikan intruksi penyelesaian dan koordinasi dengan PPK yang berkaitan dengan anggaran",
                gloss: "The Sekretaris instructs the fix and coordinates the budget with the PPK",
                actors: [.sekretaris],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK)",
                output: "Disetujuinya perbaikan jaringan komunikasi data",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Menghubungi pihak pusat/ pihak ketiga untuk koordinasi / konsultasi penyelesaian gangguan jaringan komunikasi data yang belum tuntas",
                gloss: "Contact the centre or a third party about the unsolved fault",
                actors: [.umumKeuangan],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK), Daftar pembangunan / pengembangan",
                output: "Tersedianya pihak ketiga yang menyediakan jasa perbaikan jaringan komunikasi data",
                next: 6
            ),
            SOPStep(
                number: 6,
                activity: "Mengawasi perkembangan tindak lanjut penyelesaian gangguan jaringan komunikasi data",
                gloss: "Follow the progress of the repair",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Daftar pembangunan / pengembangan",
                output: "Dipastikannya penyelesaian perbaikan jaringan komunikasi data",
                next: 7
            ),
            SOPStep(
                number: 7,
                activity: "Menerima laporan hasil pelaksanaan pembangunan/pengembangan jaringan komunikasi data telah selesai",
                gloss: "Receive the report that the network repair is finished",
                actors: [.kasubbag],
                minutes: 60,
                requirements: "Alat Tulis Kantor (ATK), Daftar pembangunan / pengembangan",
                output: "Dilaporkannya perbaikan jaringan komunikasi data",
                next: nil
            ),
        ]
    )

    // seed 003 (the same table as 002 SOP 05 "Pemeliharaan Website"). Columns: Admin Website |
    // Kasubbag PTIP | Sekretaris | Pihak ke 3. The OCR lost the flow symbols; interpreted: actors
    // follow the reporting chain the activities spell out (Admin → Kasubbag → Sekretaris), third-
    // party work is recorded by the Admin (staf TI).
    private static let website = SOP(
        code: "WEBSITE",
        title: "Pemeliharaan Website",
        gloss: "Website maintenance",
        source: "seed 003",
        kind: .task,
        steps: [
            SOPStep(
                number: 1,
                activity: "Memonitoring secara berkala status pembaruan konten (updating) dan ketersediaan akses online website",
                gloss: "Periodically monitor content updates and the website's availability",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Akses sistem website",
                output: "Akses website yang terpantau",
                next: 2
            ),
            SOPStep(
                number: 2,
                activity: "Melakukan backup seluruh sistem, data dan informasi yang tersedia pada website secara berkala ke dalam media backup CD, hardisk maupun media backup lain",
                gloss: "Periodically back up the website's system and data to CD, hard disk or other media",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Akses server",
                output: "ADK / Dokumen elektronik",
                next: 3
            ),
            SOPStep(
                number: 3,
                activity: "Memonitoring secara berkala aktivitas pengunjung dalam rangka mencegah/ deteksi dini aktivitas yang mencurigakan yang dapat merusak sistem",
                gloss: "Periodically monitor visitors to catch suspicious activity early",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Akses server",
                output: "Log aktivitas pengunjung",
                next: 4
            ),
            SOPStep(
                number: 4,
                activity: "Mengupdate siklus pelayanan jasa koneksi, hosting dan nama domain, pada penyedia layanan hosting dan domain",
                gloss: "Renew the connection, hosting and domain services with their providers",
                actors: [.stafTI],
                minutes: 180,
                requirements: "Invoice, Akses layanan koneksi, hosting dan domain",
                output: "Layanan koneksi, hosting & domain yang di perbaharui",
                next: 5
            ),
            SOPStep(
                number: 5,
                activity: "Melaporkan situasi, kondisi, permasalahan dan alternatif pemecahan masalah website kepada Kasubbag",
                gloss: "Report the website's state, problems and possible solutions to the Kasubbag",
                actors: [.stafTI],
                minutes: 480,
                requirements: "Data situasi kondisi sistem",
                output: "Laporan situasi kondisi",
                next: 6
            ),
            SOPStep(
                number: 6,
                activity: "Meneruskan Laporan kepada Sekretaris.",
                gloss: "The Kasubbag forwards the report to the Sekretaris",
                actors: [.kasubbag],
                minutes: 5,
                requirements: "Laporan kondisi sistem",
                output: "Laporan situasi kondisi",
                next: 7
            ),
            SOPStep(
                number: 7,
                activity: "Mengambil langkah-langkah pemecahan masalah yang ditemui dalam pengelolaan informasi / website.",
                gloss: "The Sekretaris decides how to solve the problems found",
                actors: [.sekretaris],
                minutes: 120,
                requirements: "Laporan situasi kondisi",
                output: "Solusi / pemecahan masalah",
                next: 8
            ),
            // seed 003, step 8. Interpreted: "1 jam - 3 hari" → upper bound, 3 × 480 = 1440.
            SOPStep(
                number: 8,
                activity: "Melakukan/menyelesaikan pemecahan masalah (troubleshooting) secara mandiri, ataupun melibatkan pihak ketiga.",
                gloss: "Troubleshoot in house or with a third party (recorded by staf TI)",
                actors: [.stafTI],
                minutes: 1440,
                requirements: "Solusi / pemecahan masalah",
                output: "Akses website selalu tersedia (available & reliable)",
                next: 9
            ),
            SOPStep(
                number: 9,
                activity: "Masalah terselesaikan, Data di Back Up kembali",
                gloss: "Problem solved; back the data up again",
                actors: [.stafTI],
                minutes: 60,
                requirements: "Solusi / pemecahan masalah",
                output: "Akses website selalu tersedia (available & reliable)",
                next: nil
            ),
        ]
    )
}
