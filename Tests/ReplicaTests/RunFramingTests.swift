import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The run framing's short forms (clock steps, field nibbles, author changes and signed entries
/// listed per run): every payload comes back byte for byte, and input that is cut short, made
/// up, or spelled in a long form where a short one exists is refused without trapping.
@Suite("Run framing") struct RunFramingTests {
    static let origin = ID128(high: 0x5151, low: 0x7272)

    /// A set payload with any field byte (the codec carries codes no `Field` names too).
    static func setPayload(author: String, record: ID128, field: UInt8, value: [UInt8], replaces: [OpID]) -> [UInt8] {
        var w = BinaryWriter()
        OperationPayload.writeHead(author: Array(author.utf8), tag: .set, record: record, into: &w)
        OperationPayload.writeSetTail(field: field, value: value, replaces: replaces, into: &w)
        return w.bytes
    }

    /// Runs shaped like bulk writes and like desk work: clocks one tick apart or far apart,
    /// authors that hold for a while and change, every field byte, own and foreign replaced
    /// writes, other bodies and raw bytes, signatures here and there and always at the end.
    static func runs(seed: UInt64, count: Int) -> [OperationRun] {
        var rng = SplitMix64(seed: seed)
        let records = (0..<(1 + rng.below(40))).map { _ in ID128(high: rng.next(), low: rng.next()) }
        let foreign = ID128(high: rng.next(), low: rng.next())
        var seq: UInt64 = 1 + UInt64(rng.below(1_000))
        var hlc: UInt64 = rng.chance(10) ? 0 : UInt64(rng.below(1 << 30))
        var author = ""
        return (0..<count).map { _ in
            let first = seq
            let bulk = rng.chance(50)
            let entries = (0..<(1 + rng.below(60))).map { _ -> OperationRun.Entry in
                if rng.chance(8) { author = rng.pick(["", "Budi", "Siti Aminah", String(repeating: "n", count: 256)]) }
                let record = rng.pick(records)
                let payload: [UInt8]
                switch rng.below(12) {
                case 0:
                    payload = Operation(origin: origin, seq: seq, hlc: HLC(raw: hlc), author: author,
                        body: .create(record: record, kind: .task, sop: "BACKUP", fields: [FieldValue(.due, "2026-12-0\(rng.below(9) + 1)")])).encodePayload()
                case 1:
                    payload = Operation(origin: origin, seq: seq, hlc: HLC(raw: hlc), author: author, body: .comment(record: record, text: "catatan \(rng.next())")).encodePayload()
                case 2:
                    payload = (0..<rng.below(70)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                default:
                    var replaces: [OpID] = []
                    switch rng.below(4) {
                    case 0: break
                    case 1, 2: replaces = [OpID(origin: origin, seq: UInt64(rng.below(Int(seq))))]
                    default:
                        for _ in 0..<(1 + rng.below(3)) { replaces.append(OpID(origin: rng.chance(50) ? foreign : origin, seq: rng.next() >> UInt64(rng.below(64)))) }
                    }
                    let field = rng.chance(20) ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(rng.below(20))
                    let value = (0..<rng.below(45)).map { _ in UInt8(0x61 + rng.below(26)) }
                    payload = setPayload(author: author, record: record, field: field, value: value, replaces: replaces)
                }
                seq += 1
                hlc += bulk && !rng.chance(5) ? 1 : UInt64(rng.below(1 << 20))
                return OperationRun.Entry(hlc: HLC(raw: hlc), payload: payload, signature: rng.chance(7) ? (0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) } : nil)
            }
            var run = OperationRun(origin: rng.chance(85) ? origin : foreign, firstSeq: first, entries: entries)
            run.entries[run.entries.count - 1].signature = [UInt8](repeating: 0xEE, count: 64)
            return run
        }
    }

    static func encode(_ runs: [OperationRun]) -> [UInt8] {
        var w = BinaryWriter()
        var context = OperationRun.EncodingContext()
        for run in runs { run.encode(into: &w, context: &context) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], count: Int) throws -> [OperationRun] {
        var r = BinaryReader(bytes)
        var context = OperationRun.DecodingContext()
        let runs = try (0..<count).map { _ in try OperationRun.decode(from: &r, context: &context) }
        guard r.isAtEnd else { throw CodecError.malformed("\(r.remaining) bytes left over") }
        return runs
    }

    @Test(arguments: 0..<40)
    func randomRunsComeBackByteForByte(seed: Int) throws {
        let runs = Self.runs(seed: UInt64(seed), count: 1 + seed % 9)
        let decoded = try Self.decode(Self.encode(runs), count: runs.count)
        #expect(decoded == runs)
        // Payload bytes, exactly: signatures are over them.
        #expect(decoded.flatMap { $0.entries.map(\.payload) } == runs.flatMap { $0.entries.map(\.payload) })
    }

    @Test(arguments: 0..<6)
    func truncatedRunsAreRefused(seed: Int) {
        let runs = Self.runs(seed: 1_000 + UInt64(seed), count: 2)
        let bytes = Self.encode(runs)
        for length in 0..<bytes.count {
            #expect(throws: CodecError.self, "prefix of \(length) bytes") { _ = try Self.decode(Array(bytes.prefix(length)), count: runs.count) }
        }
    }

    @Test func garbageIsRefusedOrDecodedNeverTrapped() {
        var rng = SplitMix64(seed: 23)
        var refused = 0
        for i in 0..<20_000 {
            let bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                var b = Self.encode(Self.runs(seed: UInt64(i), count: 1))
                for _ in 0..<(1 + rng.below(3)) { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
                bytes = b
            }
            if (try? Self.decode(bytes, count: 1)) == nil { refused += 1 }
        }
        #expect(refused > 10_000)
    }

    /// Counts that no input of this size could hold are refused before anything is allocated.
    @Test func impossibleCountsAreRefusedUpFront() {
        func run(_ build: (inout BinaryWriter) -> Void) -> [UInt8] {
            var w = BinaryWriter()
            w.varint(0)
            w.id(Self.origin)
            w.varint(1)
            build(&w)
            return w.bytes
        }
        let cases: [[UInt8]] = [
            run { w in w.varint(UInt64(OperationRun.maxEntries)) },  // entries the input cannot hold
            run { w in w.varint(2); w.varint(UInt64.max >> 1) },  // signed entries beyond the run
            run { w in w.varint(1); w.varint(0); w.varint(0); w.u8(0x40); w.data([1]) },  // no entry is signed
            run { w in w.varint(2); w.varint(1); w.varint(0); w.raw([UInt8](repeating: 0, count: 200)) },  // not the last one either
            run { w in w.varint(1); w.varint(1); w.varint(1); w.raw([UInt8](repeating: 0, count: 200)) },  // an index past the end
            run { w in w.varint(1); w.varint(1); w.varint(0); w.varint(1_000_000); w.raw([UInt8](repeating: 0, count: 200)) },  // authors beyond the run
            run { w in w.varint(1); w.varint(1); w.varint(0); w.varint(1); w.varint(0); w.varint(300); w.raw([UInt8](repeating: 0x61, count: 400)) },  // an author too long
        ]
        for bytes in cases {
            #expect(throws: CodecError.self) { _ = try Self.decode(bytes, count: 1) }
        }
    }

    /// One entry of a one-entry run (signed, no author change) after its header byte.
    static func oneEntry(_ header: UInt8, _ body: (inout BinaryWriter) -> Void) -> [UInt8] {
        var w = BinaryWriter()
        w.varint(0)
        w.id(Self.origin)
        w.varint(5)
        w.varint(1)
        w.varint(1)
        w.varint(0)
        w.varint(0)
        w.u8(header)
        body(&w)
        w.raw([UInt8](repeating: 7, count: 64))
        return w.bytes
    }

    @Test func longFormsAndUnknownHeadersAreRefused() throws {
        let record: (inout BinaryWriter) -> Void = { w in w.varint(1) }  // the origin, as a record
        // The short forms themselves decode.
        _ = try Self.decode(Self.oneEntry(0x80 | 0x40 | 3) { w in record(&w); w.data([0x61]) }, count: 1)
        _ = try Self.decode(Self.oneEntry(0x80) { w in w.varint(9); record(&w); w.u8(16); w.data([0x61]) }, count: 1)
        _ = try Self.decode(Self.oneEntry(0x40) { w in w.data([1, 2, 3]) }, count: 1)
        let refused: [[UInt8]] = [
            Self.oneEntry(0x80 | 3) { w in w.varint(1); record(&w); w.data([0x61]) },  // a clock step of 1 in full
            Self.oneEntry(0x80 | 0x40) { w in record(&w); w.u8(3); w.data([0x61]) },  // field 3 in full
            Self.oneEntry(0x80 | 0x40 | 3 << 4 | 1) { w in record(&w); w.data([0x61]) },  // replaced form 3
            Self.oneEntry(0x40 | 1) { w in w.data([1]) },  // form 1 outside a set
            Self.oneEntry(0x40 | 3) { w in w.data([1]) },  // form 3
            Self.oneEntry(0x40 | 4) { w in w.data([1]) },  // a stray bit
            Self.oneEntry(0x40 | 2) { w in record(&w); w.u8(OperationTag.set.rawValue); w.data([1]) },  // a set in the other-body form
            Self.oneEntry(0x40 | 2) { w in record(&w); w.u8(OperationTag.genesis.rawValue); w.data([1]) },  // no record body
            Self.oneEntry(0x80 | 0x40 | 2 << 4 | 1) { w in record(&w); w.data([0x61]); w.varint(0) },  // an empty replaced list
            Self.oneEntry(0x80 | 0x40 | 1 << 4 | 1) { w in record(&w); w.data([0x61]); w.varint(5) },  // an own write before seq 1
        ]
        for bytes in refused {
            #expect(throws: CodecError.self) { _ = try Self.decode(bytes, count: 1) }
        }
    }

    /// The bulk shape (sets one clock tick apart by one author, each replacing an own earlier
    /// write) costs little beyond the values: the header, the record's reference and the
    /// distance back to the replaced write.
    @Test func bulkSetsCostAFewBytesBeyondTheirValues() throws {
        var rng = SplitMix64(seed: 8)
        let records = (0..<100).map { _ in ID128(high: rng.next(), low: rng.next()) }
        let value = [UInt8](repeating: 0x78, count: 30)
        var entries: [OperationRun.Entry] = []
        for i in 0..<1_000 {
            let replaces = i >= 100 ? [OpID(origin: Self.origin, seq: UInt64(1 + i - 100))] : []
            let payload = Self.setPayload(author: "Budi", record: records[i % 100], field: UInt8(1 + i % 4), value: value, replaces: replaces)
            let signature: [UInt8]? = i == 999 ? [UInt8](repeating: 1, count: 64) : nil
            entries.append(OperationRun.Entry(hlc: HLC(raw: (1 << 40) + UInt64(i)), payload: payload, signature: signature))
        }
        let run = OperationRun(origin: Self.origin, firstSeq: 1, entries: entries)
        let bytes = Self.encode([run])
        #expect(try Self.decode(bytes, count: 1) == [run])
        let framing = bytes.count - 100 * 17 - 64 - 1_000 * (value.count + 1)
        let beyond = Double(framing) / 1_000
        #expect(beyond < 3.1, "\(beyond) bytes an entry beyond the value")
    }
}
