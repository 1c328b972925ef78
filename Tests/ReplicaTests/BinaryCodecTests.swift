import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The compact binary encoding every operation, run, bundle and vector is written in.
@Suite("Binary codec") struct BinaryCodecTests {
    static let edgeValues: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000, UInt64(UInt32.max), 1 << 35, (1 << 56) - 1, 1 << 56,
        (1 << 63) - 1, 1 << 63, UInt64.max - 1, UInt64.max,
    ]

    private static func encoded(_ value: UInt64) -> [UInt8] {
        var w = BinaryWriter()
        w.varint(value)
        return w.bytes
    }

    @Test(arguments: edgeValues)
    func varintRoundTripsAtEdges(value: UInt64) throws {
        let bytes = Self.encoded(value)
        let significant = 64 - value.leadingZeroBitCount
        #expect(bytes.count == max(1, (significant + 6) / 7), "LEB128 length of \(value)")
        var r = BinaryReader(bytes)
        #expect(try r.varint() == value)
        #expect(r.isAtEnd)
    }

    @Test func varintRoundTripsRandomValuesBackToBack() throws {
        var rng = SplitMix64(seed: 7)
        let values = (0..<5_000).map { _ in rng.next() >> UInt64(rng.below(64)) }
        var w = BinaryWriter()
        for v in values { w.varint(v) }
        var r = BinaryReader(w.bytes)
        for v in values { #expect(try r.varint() == v) }
        #expect(r.isAtEnd)
    }

    @Test(arguments: [[], [0x80], [0xFF, 0xFF], [0x80, 0x80, 0x80]] as [[UInt8]])
    func varintRefusesTruncatedInput(bytes: [UInt8]) {
        var r = BinaryReader(bytes)
        #expect(throws: CodecError.self) { try r.varint() }
    }

    /// Longer than 10 bytes, beyond 64 bits, or not the shortest form: one value, one encoding.
    @Test(arguments: [
        [UInt8](repeating: 0x80, count: 10) + [0x00],
        [UInt8](repeating: 0xFF, count: 11) + [0x01],
        [UInt8](repeating: 0xFF, count: 9) + [0x02],
        [UInt8](repeating: 0xFF, count: 9) + [0x7F],
        [0x80, 0x00],
        [0x81, 0x80, 0x00],
        [0xFF, 0x00],
    ] as [[UInt8]])
    func varintRefusesOverlongEncodings(bytes: [UInt8]) {
        var r = BinaryReader(bytes)
        #expect(throws: CodecError.self) { try r.varint() }
    }

    @Test func readerStaysInsideItsWindow() throws {
        // A reader with an `end` must not read past it even when the array goes on.
        var r = BinaryReader([0x05, 0x01, 0x02], offset: 0, end: 1)
        #expect(try r.u8() == 5)
        #expect(throws: CodecError.self) { try r.u8() }
        var s = BinaryReader([0x81, 0x01], offset: 0, end: 1)
        #expect(throws: CodecError.self) { try s.varint() }
    }

    @Test func fixedWidthValuesRoundTrip() throws {
        var w = BinaryWriter()
        let id = ID128(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        w.id(id)
        w.u32be(0xDEAD_BEEF)
        w.u8(0x7E)
        #expect(w.bytes.count == 21)
        #expect(Array(w.bytes.prefix(2)) == [0x01, 0x23])
        var r = BinaryReader(w.bytes)
        #expect(try r.id() == id)
        #expect(try r.u32be() == 0xDEAD_BEEF)
        #expect(try r.u8() == 0x7E)
        #expect(r.isAtEnd)
        #expect(ID128(bytes: id.bytes) == id)
        #expect(ID128(hex: id.hex) == id)
        #expect(id.hex == "0123456789abcdeffedcba9876543210")
    }

    @Test func truncatedFixedWidthValuesAreRefused() {
        var id = BinaryReader([UInt8](repeating: 1, count: 15))
        #expect(throws: CodecError.self) { try id.id() }
        var word = BinaryReader([1, 2, 3])
        #expect(throws: CodecError.self) { try word.u32be() }
        var raw = BinaryReader([1, 2, 3])
        #expect(throws: CodecError.self) { try raw.raw(4) }
        #expect(throws: CodecError.self) { try raw.raw(-1) }
    }

    @Test(arguments: ["", "a", "Pelaporan kesalahan (bug) di aplikasi SIPP", "é ☕️ 𝄞 日本", String(repeating: "x", count: 300)])
    func stringsRoundTrip(text: String) throws {
        var w = BinaryWriter()
        w.string(text)
        w.data(Array(text.utf8))
        var r = BinaryReader(w.bytes)
        #expect(try r.string() == text)
        #expect(try r.data() == Array(text.utf8))
        #expect(r.isAtEnd)
    }

    @Test func oversizedStringsAndDataAreRefusedBeforeReading() {
        var w = BinaryWriter()
        w.string(String(repeating: "a", count: 257))
        var r = BinaryReader(w.bytes)
        #expect(throws: CodecError.self) { try r.string(limit: 256) }
        // A length far beyond the input is refused by the limit, not by allocating it.
        var huge = BinaryWriter()
        huge.varint(UInt64(Int.max))
        var h = BinaryReader(huge.bytes)
        #expect(throws: CodecError.self) { try h.string() }
        var d = BinaryReader(huge.bytes)
        #expect(throws: CodecError.self) { try d.data() }
        var exact = BinaryReader(w.bytes)
        #expect((try? exact.string(limit: 257)) != nil)
    }

    @Test func truncatedStringIsRefused() {
        var r = BinaryReader([0x05, 0x61, 0x62, 0x63])
        #expect(throws: CodecError.self) { try r.string() }
    }

    /// Lone continuation bytes, truncated sequences, overlong forms, surrogates, bytes above U+10FFFF.
    @Test(arguments: [[0xFF], [0x80], [0xC3], [0xC3, 0x28], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] as [[UInt8]])
    func invalidUTF8IsRefused(bytes: [UInt8]) {
        var w = BinaryWriter()
        w.data([0x61] + bytes + [0x62])
        var r = BinaryReader(w.bytes)
        #expect(throws: CodecError.self) { try r.string() }
    }

    @Test func versionVectorRoundTripsInBinaryAndText() throws {
        var rng = SplitMix64(seed: 3)
        var v = VersionVector()
        for _ in 0..<20 { v[ID128(high: rng.next(), low: rng.next())] = rng.next() >> 20 }
        var w = BinaryWriter()
        v.encode(into: &w)
        var r = BinaryReader(w.bytes)
        #expect(try VersionVector.decode(from: &r) == v)
        #expect(r.isAtEnd)
        #expect(try VersionVector(parsing: v.compact) == v)
        #expect(try VersionVector(parsing: "") == VersionVector())
        #expect(throws: ReplicaError.self) { try VersionVector(parsing: "abc:1") }
        var lying = BinaryWriter()
        lying.varint(1000)
        var l = BinaryReader(lying.bytes)
        #expect(throws: CodecError.self) { try VersionVector.decode(from: &l) }
    }
}
