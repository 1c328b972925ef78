import Crypto
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The compact run encoding of sync batches and bundles: a lossless transform of the signed
/// payloads, with ids named once per stream.
@Suite("Run stream encoding") struct RunStreamCodecTests {
    static let origin = ID128(high: 0xA1, low: 0xB2)
    static let other = ID128(high: 0xC3, low: 0xD4)

    /// Random runs of one origin: sets over a few records (replacing own writes before and after
    /// the entry's seq, other origins' writes, several at once), other record bodies, genesis
    /// and arbitrary bytes (which no compact form fits), with a few authors.
    static func runs(seed: UInt64, count: Int, records: Int = 20) -> [OperationRun] {
        var rng = SplitMix64(seed: seed)
        let ids = (0..<records).map { _ in ID128(high: rng.next(), low: rng.next()) }
        var seq: UInt64 = 1
        var hlc: UInt64 = 1 << 20
        return (0..<count).map { _ in
            let first = seq
            let entries = (0..<(1 + rng.below(30))).map { i -> OperationRun.Entry in
                let record = rng.pick(ids)
                let body: OperationBody
                switch rng.below(9) {
                case 0: body = .create(record: record, kind: .bug, sop: "BUG", fields: [FieldValue(.title, "judul \(rng.next())")])
                case 1: body = .comment(record: record, text: String(repeating: "é", count: rng.below(40)))
                case 2: body = .step(record: record, step: rng.below(12), branch: rng.chance(50) ? .ya : nil, note: "")
                case 3: body = .archive(record: record)
                case 4: body = .enroll(Member(node: record, publicKey: [UInt8](repeating: 7, count: 32), name: "desk", role: .mejaSatu))
                default:
                    var replaces: [OpID] = []
                    for _ in 0..<rng.below(4) {
                        let o = rng.chance(60) ? origin : rng.chance(50) ? other : rng.pick(ids)
                        replaces.append(OpID(origin: o, seq: rng.chance(10) ? rng.next() : UInt64(rng.below(Int(seq) + 3))))
                    }
                    body = .set(record: record, field: rng.pick(Field.allCases), value: "nilai \(rng.next() % 1000)", replaces: replaces)
                }
                let author = rng.pick(["", "", "Budi", "Siti Aminah"])
                var payload = Operation(origin: origin, seq: seq, hlc: HLC(raw: hlc), author: author, body: body).encodePayload()
                if rng.chance(5) { payload = (0..<rng.below(50)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                if rng.chance(3), !payload.isEmpty { payload[rng.below(payload.count)] ^= 0x80 }
                seq += 1
                hlc += 1 + UInt64(rng.below(1 << 18))
                let signed = rng.chance(10)
                return OperationRun.Entry(hlc: HLC(raw: hlc), payload: payload, signature: signed ? (0..<64).map { _ in UInt8(i) } : nil)
            }
            var run = OperationRun(origin: rng.chance(80) ? origin : other, firstSeq: first, entries: entries)
            run.entries[run.entries.count - 1].signature = [UInt8](repeating: 9, count: 64)
            return run
        }
    }

    static func encodeStream(_ runs: [OperationRun]) -> [UInt8] {
        var w = BinaryWriter()
        var context = OperationRun.EncodingContext()
        for run in runs { run.encode(into: &w, context: &context) }
        return w.bytes
    }

    static func decodeStream(_ bytes: [UInt8], count: Int) throws -> [OperationRun] {
        var r = BinaryReader(bytes)
        var context = OperationRun.DecodingContext()
        let runs = try (0..<count).map { _ in try OperationRun.decode(from: &r, context: &context) }
        #expect(r.isAtEnd)
        return runs
    }

    @Test(arguments: 0..<20)
    func streamsGiveBackTheExactPayloadBytes(seed: Int) throws {
        let runs = Self.runs(seed: UInt64(seed), count: 12)
        let bytes = Self.encodeStream(runs)
        #expect(try Self.decodeStream(bytes, count: runs.count) == runs)
        let plain = runs.reduce(0) { $0 + $1.entries.reduce(16) { $0 + $1.payload.count + 3 } }
        #expect(bytes.count < plain, "the compact stream is smaller than the payloads it carries")
    }

    @Test func aRunEncodedAloneDecodesInTheMiddleOfAStream() throws {
        let runs = Self.runs(seed: 99, count: 8)
        var stream = Self.encodeStream(Array(runs.prefix(5)))
        var alone = BinaryWriter()
        runs[5].encode(into: &alone)
        stream += alone.bytes
        var r = BinaryReader(stream)
        var context = OperationRun.DecodingContext()
        let decoded = try (0..<6).map { _ in try OperationRun.decode(from: &r, context: &context) }
        #expect(decoded == Array(runs.prefix(6)))
    }

    @Test func idsBeyondTheWindowAreSentAgain() throws {
        // More distinct records than the window holds, each written twice, far apart.
        let records = (0..<(IDWindow.capacity + 500)).map { ID128(high: 1, low: UInt64($0)) }
        func run(_ first: UInt64, _ ids: ArraySlice<ID128>) -> OperationRun {
            let entries = ids.enumerated().map { i, id in
                OperationRun.Entry(
                    hlc: HLC(raw: first * 10 + UInt64(i)),
                    payload: Operation(origin: Self.origin, seq: 0, hlc: HLC(raw: 0), author: "", body: .archive(record: id)).encodePayload(),
                    signature: i == ids.count - 1 ? [UInt8](repeating: 1, count: 64) : nil)
            }
            return OperationRun(origin: Self.origin, firstSeq: first, entries: entries)
        }
        var runs: [OperationRun] = []
        var seq: UInt64 = 1
        for pass in 0..<2 {
            for start in stride(from: 0, to: records.count, by: 10_000) {
                let part = records[start..<min(start + 10_000, records.count)]
                runs.append(run(seq, pass == 0 ? part : ArraySlice(part.reversed())))
                seq += UInt64(part.count)
            }
        }
        let bytes = Self.encodeStream(runs)
        #expect(try Self.decodeStream(bytes, count: runs.count) == runs)
    }

    @Test func referencesBeforeTheStreamAndBadReplacedDistancesAreRefused() {
        var w = BinaryWriter()
        w.varint(1)  // the origin: a reference, but nothing was sent inline yet
        w.varint(1)
        w.varint(1)
        w.raw([UInt8](repeating: 0, count: 80))
        var r = BinaryReader(w.bytes)
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &r) }

        // A set that replaces a write 5 back from seq 3.
        var s = BinaryWriter()
        s.varint(0)
        s.id(Self.origin)
        s.varint(3)
        s.varint(1)
        s.varint(1)  // one signed entry, the first
        s.varint(0)
        s.varint(0)  // no author change
        s.u8(0x80 | 0x40 | 1 << 4 | 1)  // a set one clock tick on, of field 1, replacing an own write
        s.varint(1)  // the record: the origin again
        s.data(Array("x".utf8))
        s.varint(4)
        s.raw([UInt8](repeating: 0, count: 64))
        var b = BinaryReader(s.bytes)
        #expect(throws: CodecError.self) { try OperationRun.decode(from: &b) }
    }

    @Test func everyStrictPrefixOfAStreamIsRefused() {
        let runs = Self.runs(seed: 5, count: 2)
        let bytes = Self.encodeStream(runs)
        for length in 0..<bytes.count {
            #expect(throws: CodecError.self, "prefix of \(length) bytes") { _ = try Self.decodeStream(Array(bytes.prefix(length)), count: runs.count) }
        }
    }

    @Test func mutatedStreamsThrowOrDecodeNeverTrap() {
        var rng = SplitMix64(seed: 17)
        let runs = Self.runs(seed: 3, count: 4)
        let bytes = Self.encodeStream(runs)
        for _ in 0..<3_000 {
            var bad = bytes
            for _ in 0..<(1 + rng.below(4)) { bad[rng.below(bad.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? Self.decodeStream(bad, count: runs.count)
        }
    }

    /// A bundle round-trips its runs and header; a format that never shipped (1 or 2) is
    /// refused by its version before anything else is read.
    @Test func bundlesRoundTripAndOldFormatsAreRefused() throws {
        let runs = Self.runs(seed: 11, count: 3)
        let bytes = Bundle.encode(court: Sandbox.court, root: "00", exporter: "baru", runs: runs)
        let (info, decoded) = try Bundle.decode(bytes)
        #expect(decoded == runs && info.exporter == "baru" && info.courtRoot == "00" && info.runs == 3)
        for format: UInt8 in [1, 2] {
            var old = bytes
            old[8] = format
            #expect { _ = try Bundle.decode(old) } throws: { ($0 as? ReplicaError)?.message.contains("format version \(format) is not supported") == true }
        }
        #expect(try Bundle.decode(Bundle.encode(court: Sandbox.court, root: "00", exporter: "baru", runs: runs)).1 == runs)
    }
}
