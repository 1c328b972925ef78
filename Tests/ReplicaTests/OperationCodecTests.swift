import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Operation payloads and the runs that carry them: what goes on disk, in bundles and on the wire.
@Suite("Operation and run encoding") struct OperationCodecTests {
    static let origin = ID128(high: 0xA1, low: 0xB2)
    static let record = ID128(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
    static let key = [UInt8](repeating: 0x42, count: 32)

    /// One sample of every body kind, and the variants each kind has.
    static let bodies: [OperationBody] = [
        .genesis(Genesis(node: ID128(high: 1, low: 2), publicKey: key, name: "meja-satu-1", role: .mejaSatu, court: "PN Bengkalis", predecessor: nil)),
        .genesis(Genesis(node: ID128(high: 1, low: 2), publicKey: key, name: "staf ☕️", role: .umumKeuangan, court: "PN Bls", predecessor: ID128(high: 9, low: 9))),
        .create(record: record, kind: .bug, sop: "BUG", fields: [FieldValue(.title, "SIPP macet"), FieldValue(.caseNumber, "123/Pdt.G/2026/PN Bls")]),
        .create(record: record, kind: .task, sop: "BACKUP", fields: []),
        .create(record: record, kind: .letter, sop: "SURAT-KELUAR", fields: Field.allCases.map { FieldValue($0, "v\($0.rawValue) é") }),
        .set(record: record, field: .title, value: "", replaces: []),
        .set(record: record, field: .number, value: "1/KPN.W4-U2/HK2.6/XI/2026", replaces: [OpID(origin: origin, seq: 1), OpID(origin: record, seq: UInt64.max)]),
        .step(record: record, step: 2, branch: .ya, note: "dapat diperbaiki"),
        .step(record: record, step: 999, branch: .tidak, note: ""),
        .step(record: record, step: 0, branch: nil, note: "𝄞"),
        .comment(record: record, text: "Sudah dilaporkan ke SATGAS SIPP"),
        .archive(record: record),
        .enroll(Member(node: ID128(high: 3, low: 4), publicKey: key, name: "meja-satu-2", role: .mejaSatu)),
        .revoke(node: ID128(high: 3, low: 4), keep: []),
        .revoke(node: ID128(high: 3, low: 4), keep: [OpID(origin: origin, seq: 12), OpID(origin: record, seq: 1)]),
        .flow(FlowRevision(code: "BACKUP", version: 2, definition: "{\"code\": \"BACKUP\"}")),
        .flow(FlowRevision(code: "BUG", version: 3, definition: "")),
        .setting(CourtSetting(key: "holiday/2026-03-20", value: "libur\tHari Raya Idul Fitri")),
        .setting(CourtSetting(key: "schedule/backup-harian", value: "")),
    ]

    /// One number per body kind. The switch has no default: a new kind does not compile until
    /// it is added here, and `samplesCoverEveryBodyKind` then asks for a sample of it.
    static func kindNumber(_ body: OperationBody) -> Int {
        switch body {
        case .genesis: 0
        case .create: 1
        case .set: 2
        case .step: 3
        case .comment: 4
        case .archive: 5
        case .enroll: 6
        case .revoke: 7
        case .flow: 8
        case .setting: 9
        }
    }

    private static func operation(_ body: OperationBody, author: String = "Budi") -> Operation {
        Operation(origin: origin, seq: 7, hlc: HLC(milliseconds: ManualClock.start, counter: 3), author: author, body: body)
    }

    @Test func samplesCoverEveryBodyKind() {
        #expect(Set(Self.bodies.map(Self.kindNumber)) == Set(0...9))
        #expect(Set(Self.bodies.map(\.tag)).count == 10, "every kind has its own tag")
    }

    @Test(arguments: bodies)
    func payloadRoundTrips(body: OperationBody) throws {
        for author in ["", "Budi Santoso, S.Kom."] {
            let op = Self.operation(body, author: author)
            let payload = op.encodePayload()
            let decoded = try Operation.decode(origin: op.origin, seq: op.seq, hlc: op.hlc, payload: payload)
            #expect(decoded == op)
            #expect(decoded.encodePayload() == payload, "the encoding is canonical")
        }
    }

    @Test(arguments: bodies)
    func everyStrictPrefixIsRefused(body: OperationBody) {
        let payload = Self.operation(body).encodePayload()
        for length in 0..<payload.count {
            #expect(throws: CodecError.self, "prefix of \(length) bytes") {
                try Operation.decode(origin: Self.origin, seq: 1, hlc: HLC(raw: 1), payload: payload.prefix(length))
            }
        }
    }

    @Test(arguments: bodies)
    func trailingBytesAreRefused(body: OperationBody) {
        let payload = Self.operation(body).encodePayload()
        for extra in [[0x00], [0xFF], [0x01, 0x02]] as [[UInt8]] {
            #expect(throws: CodecError.self) { try Operation.decode(origin: Self.origin, seq: 1, hlc: HLC(raw: 1), payload: payload + extra) }
        }
    }

    @Test(arguments: [0, 9, 0x7F, 0xFF] as [UInt8])
    func unknownOperationTagsAreRefused(tag: UInt8) {
        var payload = Self.operation(.archive(record: Self.record), author: "").encodePayload()
        #expect(payload[1] == 6)
        payload[1] = tag
        #expect(throws: CodecError.self) { try Operation.decode(origin: Self.origin, seq: 1, hlc: HLC(raw: 1), payload: payload) }
    }

    /// A hand-written genesis payload, so that a test can put in it what the writer never would.
    private static func genesisPayload(role: String, keyLength: Int = 32, predecessorFlag: UInt8 = 0) -> [UInt8] {
        var w = BinaryWriter()
        w.string("")
        w.u8(1)
        w.id(ID128(high: 1, low: 2))
        w.data([UInt8](repeating: 7, count: keyLength))
        w.string("node")
        w.string(role)
        w.string("PN Bengkalis")
        w.u8(predecessorFlag)
        if predecessorFlag == 1 { w.id(ID128(high: 3, low: 4)) }
        return w.bytes
    }

    @Test func genesisRefusesUnknownRolesBadKeysAndFlags() throws {
        let decode = { (payload: [UInt8]) in try Operation.decode(origin: Self.origin, seq: 1, hlc: HLC(raw: 1), payload: payload) }
        for role in Role.allCases { #expect(throws: Never.self) { try decode(Self.genesisPayload(role: role.rawValue)) } }
        #expect(throws: Never.self) { try decode(Self.genesisPayload(role: "ketua", predecessorFlag: 1)) }
        for role in ["hakim-agung", "", "Ketua", "ketua "] {
            #expect(throws: CodecError.self, "role \"\(role)\"") { try decode(Self.genesisPayload(role: role)) }
        }
        for length in [0, 31, 33, 64] {
            #expect(throws: CodecError.self, "key of \(length) bytes") { try decode(Self.genesisPayload(role: "ketua", keyLength: length)) }
        }
        #expect(throws: CodecError.self) { try decode(Self.genesisPayload(role: "ketua", predecessorFlag: 2)) }
    }

    @Test func bodiesRefuseUnknownKindsFieldsBranchesAndRanges() {
        let decode = { (payload: [UInt8]) in try Operation.decode(origin: Self.origin, seq: 1, hlc: HLC(raw: 1), payload: payload) }
        func body(_ tag: UInt8, _ fill: (inout BinaryWriter) -> Void) -> [UInt8] {
            var w = BinaryWriter()
            w.string("")
            w.u8(tag)
            w.id(Self.record)
            fill(&w)
            return w.bytes
        }
        // create: kind 9, field 0, field 200, 65 fields
        #expect(throws: CodecError.self) { try decode(body(2) { w in w.u8(9); w.string("BUG"); w.varint(0) }) }
        #expect(throws: CodecError.self) { try decode(body(2) { w in w.u8(1); w.string("BUG"); w.varint(1); w.u8(0); w.string("x") }) }
        #expect(throws: CodecError.self) { try decode(body(2) { w in w.u8(1); w.string("BUG"); w.varint(1); w.u8(200); w.string("x") }) }
        #expect(throws: CodecError.self) {
            try decode(body(2) { w in w.u8(1); w.string("BUG"); w.varint(65); for _ in 0..<65 { w.u8(1); w.string("x") } })
        }
        // set: unknown field, 65 replaced writes
        #expect(throws: CodecError.self) { try decode(body(3) { w in w.u8(99); w.string("x"); w.varint(0) }) }
        #expect(throws: CodecError.self) {
            try decode(body(3) { w in w.u8(1); w.string("x"); w.varint(65); for i in 0..<65 { w.id(Self.origin); w.varint(UInt64(i)) } })
        }
        // step: branch 3, step 1000
        #expect(throws: CodecError.self) { try decode(body(4) { w in w.varint(2); w.u8(3); w.string("") }) }
        #expect(throws: CodecError.self) { try decode(body(4) { w in w.varint(1000); w.u8(0); w.string("") }) }
        // enroll: unknown role, short key; revoke: more than 1024 kept origins
        #expect(throws: CodecError.self) {
            try decode(body(7) { w in w.data(Self.key); w.string("x"); w.string("hakim") })
        }
        #expect(throws: CodecError.self) {
            try decode(body(7) { w in w.data(Array(Self.key.dropLast())); w.string("x"); w.string("ketua") })
        }
        #expect(throws: CodecError.self) {
            try decode(body(8) { w in w.varint(1025); for i in 0..<1025 { w.id(Self.origin); w.varint(UInt64(i)) } })
        }
        // An author longer than 256 bytes.
        var long = BinaryWriter()
        long.string(String(repeating: "a", count: 257))
        long.u8(6)
        long.id(Self.record)
        #expect(throws: CodecError.self) { try decode(long.bytes) }
        // A payload above the size limit, whatever it holds.
        #expect(throws: CodecError.self) { try decode([UInt8](repeating: 0, count: Operation.maxPayload + 1)) }
    }

    // MARK: Runs

    private static func run(entries: Int, signEvery: Int = 1, firstSeq: UInt64 = 5) -> OperationRun {
        var rng = SplitMix64(seed: UInt64(entries))
        var hlc = HLC(milliseconds: ManualClock.start, counter: 0).raw
        return OperationRun(
            origin: origin, firstSeq: firstSeq,
            entries: (0..<entries).map { i in
                hlc += 1 + rng.next() % 100_000
                let payload = operation(bodies[i % bodies.count]).encodePayload()
                let signed = i == entries - 1 || (i + 1) % signEvery == 0
                return OperationRun.Entry(hlc: HLC(raw: hlc), payload: payload, signature: signed ? (0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) } : nil)
            })
    }

    private static func encode(_ run: OperationRun) -> [UInt8] {
        var w = BinaryWriter()
        run.encode(into: &w)
        return w.bytes
    }

    @Test(arguments: [(1, 1), (3, 1), (12, 5), (40, 40)])
    func runRoundTrips(entries: Int, signEvery: Int) throws {
        let run = Self.run(entries: entries, signEvery: signEvery)
        var r = BinaryReader(Self.encode(run))
        #expect(try OperationRun.decode(from: &r) == run)
        #expect(r.isAtEnd)
        #expect(run.lastSeq == run.firstSeq + UInt64(entries) - 1)
    }

    @Test func everyStrictPrefixOfARunIsRefused() {
        let bytes = Self.encode(Self.run(entries: 4, signEvery: 2))
        for length in 0..<bytes.count {
            var r = BinaryReader(Array(bytes.prefix(length)))
            #expect(throws: CodecError.self, "prefix of \(length) bytes") { try OperationRun.decode(from: &r) }
        }
    }

    @Test func runEndingWithoutSignatureIsRefused() {
        var run = Self.run(entries: 3)
        run.entries[2].signature = nil
        var r = BinaryReader(Self.encode(run))
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &r) }
    }

    @Test func runCountsThatTheInputCannotHoldAreRefused() {
        for count: UInt64 in [0, 2, 1_000, UInt64(OperationRun.maxEntries) + 1, UInt64.max] {
            var w = BinaryWriter()
            w.varint(0)  // the origin, inline
            w.id(Self.origin)
            w.varint(1)
            w.varint(count)
            w.raw([UInt8](repeating: 0x01, count: 4))
            var r = BinaryReader(w.bytes)
            #expect(throws: CodecError.self, "count \(count)") { try OperationRun.decode(from: &r) }
        }
    }

    @Test func runsRefuseSeqZeroFallingClocksAndBadFlags() {
        var zero = Self.run(entries: 2)
        zero.firstSeq = 0
        var z = BinaryReader(Self.encode(zero))
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &z) }

        var flat = Self.run(entries: 2)
        flat.entries[1].hlc = flat.entries[0].hlc
        var f = BinaryReader(Self.encode(flat))
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &f) }

        var falling = Self.run(entries: 2)
        falling.entries[1].hlc = HLC(raw: falling.entries[0].hlc.raw - 1)
        var g = BinaryReader(Self.encode(falling))
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &g) }

        // The header byte of the only entry (after the inline origin, firstSeq 5 and count 1):
        // unknown bits, form 3, replaced-writes form 3, a set's replaced-writes form on another form.
        let bytes = Self.encode(Self.run(entries: 1))
        for header: UInt8 in [0x40, 0x80, 0x07, 0x34, 0x14, 0x0C] {
            var bad = bytes
            bad[19] = header
            var b = BinaryReader(bad)
            #expect(throws: CodecError.self, "header \(header)") { try OperationRun.decode(from: &b) }
        }

        var huge = Self.run(entries: 1)
        huge.firstSeq = UInt64(Int64.max)
        var h = BinaryReader(Self.encode(huge))
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &h) }
    }

    /// The payload layout pinned in bytes (`OperationPayload`): what origins hash and sign, so
    /// it may never change under a replica's signatures. A set is rebuilt to the same bytes by
    /// the run codec, which carries it in parts.
    @Test func payloadBytesArePinned() throws {
        let recordBytes = Self.record.bytes
        let set = Operation(origin: Self.origin, seq: 2, hlc: HLC(raw: 5), author: "ani", body: .set(record: Self.record, field: .title, value: "x", replaces: [OpID(origin: Self.origin, seq: 1)]))
        let expectedSet: [UInt8] = [3, 0x61, 0x6E, 0x69, 3] + recordBytes + [1, 1, 0x78, 1] + Self.origin.bytes + [1]
        #expect(set.encodePayload() == expectedSet)
        let comment = Operation(origin: Self.origin, seq: 3, hlc: HLC(raw: 6), author: "", body: .comment(record: Self.record, text: "ok"))
        #expect(comment.encodePayload() == [0, 5] + recordBytes + [2, 0x6F, 0x6B])
        #expect(Operation(origin: Self.origin, seq: 4, hlc: HLC(raw: 7), author: "", body: .archive(record: Self.record)).encodePayload() == [0, 6] + recordBytes)
        // Through the run codec (compact forms) and back: the same bytes.
        let run = OperationRun(origin: Self.origin, firstSeq: 2, entries: [
            .init(hlc: set.hlc, payload: expectedSet, signature: nil),
            .init(hlc: comment.hlc, payload: comment.encodePayload(), signature: [UInt8](repeating: 7, count: 64)),
        ])
        var w = BinaryWriter()
        run.encode(into: &w)
        var r = BinaryReader(w.bytes)
        #expect(try OperationRun.decode(from: &r) == run)
        #expect(w.bytes.count < expectedSet.count + comment.encodePayload().count + 64, "the compact forms are shorter than the payloads")
        #expect(try Operation.decode(origin: Self.origin, seq: 2, hlc: set.hlc, payload: expectedSet) == set)
    }
}
