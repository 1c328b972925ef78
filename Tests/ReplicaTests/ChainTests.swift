import Replica
import ReplicaTesting
import Crypto
import Testing

@testable import Replica

/// The per-origin hash chain and its Ed25519 signatures.
@Suite("Hash chain and signatures") final class ChainTests {
    let sandbox: Sandbox
    let origin = ID128(high: 0x1111, low: 0x2222)
    let hlc = HLC(milliseconds: ManualClock.start, counter: 4)
    let previous = Chain.initialHash(origin: ID128(high: 0x1111, low: 0x2222))
    let payload = Operation(
        origin: ID128(high: 0x1111, low: 0x2222), seq: 3, hlc: HLC(raw: 0), author: "Ani",
        body: .set(record: ID128(high: 5, low: 6), field: .title, value: "Aplikasi SIPP error", replaces: [])
    ).encodePayload()

    init() throws { sandbox = try Sandbox() }

    private func hash(previous: [UInt8]? = nil, origin: OriginID? = nil, seq: UInt64 = 3, hlc: HLC? = nil, payload: [UInt8]? = nil) -> [UInt8] {
        Chain.next(previous: previous ?? self.previous, origin: origin ?? self.origin, seq: seq, hlc: hlc ?? self.hlc, payload: payload ?? self.payload)
    }

    @Test func hashIsDeterministic() {
        #expect(hash() == hash())
        #expect(hash().count == 32)
        #expect(Chain.initialHash(origin: origin) != Chain.initialHash(origin: ID128(high: 0x1111, low: 0x2223)))
    }

    /// The chain's message, laid out here by `BinaryWriter` and hashed in one call, whatever the
    /// payload's size (the chain builds it in a stack buffer for usual payloads).
    @Test(arguments: [0, 1, 44, 300, 5_000, Operation.maxPayload])
    func theHashIsSHA256OfTheDocumentedMessage(payloadSize: Int) {
        let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for (seq, clock) in [(UInt64(1), HLC(raw: 0)), (3, hlc), (UInt64.max, HLC(raw: .max))] {
            var w = BinaryWriter(capacity: 128)
            w.raw(previous)
            w.raw([Operation.formatVersion])
            w.id(origin)
            w.varint(seq)
            w.varint(clock.raw)
            w.raw(payload)
            let expected = Array(SHA256.hash(data: w.bytes))
            #expect(hash(seq: seq, hlc: clock, payload: payload) == expected)
            // The merge passes the previous hash as a digest, not as bytes: the same next hash.
            let digest = Chain.nextDigest(previous: previous, origin: origin, seq: seq, hlc: clock, payload: payload)
            #expect(Array(digest) == expected)
            let following = Chain.nextDigest(previous: digest, origin: origin, seq: seq, hlc: clock, payload: payload)
            #expect(Array(following) == Chain.next(previous: expected, origin: origin, seq: seq, hlc: clock, payload: payload))
        }
    }

    @Test func everyPayloadByteIsCovered() {
        let original = hash()
        var seen: Set<[UInt8]> = [original]
        for i in payload.indices {
            var tampered = payload
            tampered[i] ^= 0x01
            let h = hash(payload: tampered)
            #expect(h != original, "flipping payload byte \(i) left the hash unchanged")
            seen.insert(h)
        }
        #expect(seen.count == payload.count + 1)
        #expect(hash(payload: payload + [0]) != original)
        #expect(hash(payload: Array(payload.dropLast())) != original)
    }

    @Test func everyClockBitSeqOriginAndPredecessorIsCovered() {
        let original = hash()
        for bit in 0..<63 {
            #expect(hash(hlc: HLC(raw: hlc.raw ^ (1 << UInt64(bit)))) != original, "clock bit \(bit)")
        }
        for seq: UInt64 in [0, 1, 2, 4, 1 << 40] { #expect(hash(seq: seq) != original, "seq \(seq)") }
        #expect(hash(origin: ID128(high: 0x1111, low: 0x2223)) != original)
        for i in previous.indices {
            var p = previous
            p[i] ^= 0x80
            #expect(hash(previous: p) != original, "previous-hash byte \(i)")
        }
    }

    @Test func signaturesVerifyOnlyWithTheRightKeyOriginSeqAndHash() throws {
        let signer = try sandbox.replica("signer", role: .stafTI)
        let other = try sandbox.replica("other", role: .stafTI)
        let h = hash()
        let signature = try Chain.sign(origin: origin, seq: 3, hash: h, key: signer.privateKey)
        let key = signer.identity.publicKey
        #expect(signature.count == 64)
        #expect(Chain.verify(origin: origin, seq: 3, hash: h, signature: signature, publicKey: key))
        #expect(!Chain.verify(origin: origin, seq: 3, hash: h, signature: signature, publicKey: other.identity.publicKey))
        #expect(!Chain.verify(origin: ID128(high: 0x1111, low: 0x2223), seq: 3, hash: h, signature: signature, publicKey: key))
        #expect(!Chain.verify(origin: origin, seq: 4, hash: h, signature: signature, publicKey: key))
        #expect(!Chain.verify(origin: origin, seq: 3, hash: hash(seq: 4), signature: signature, publicKey: key))
        for i in [0, 31, 63] {
            var bad = signature
            bad[i] ^= 0x01
            #expect(!Chain.verify(origin: origin, seq: 3, hash: h, signature: bad, publicKey: key), "signature byte \(i)")
        }
        #expect(!Chain.verify(origin: origin, seq: 3, hash: h, signature: Array(signature.dropLast()), publicKey: key))
        #expect(!Chain.verify(origin: origin, seq: 3, hash: h, signature: signature, publicKey: Array(key.dropLast())))
        let forged = try Chain.sign(origin: origin, seq: 3, hash: h, key: other.privateKey)
        #expect(!Chain.verify(origin: origin, seq: 3, hash: h, signature: forged, publicKey: key))
    }

    @Test func aReplicasLogIsTheChainOfItsPayloads() throws {
        let replica = try sandbox.founder("log", role: .mejaSatu)
        try replica.commit((0..<10).map { .comment(record: ID128(high: 7, low: $0), text: "c\($0)") }, signEvery: 4)
        var hash = Chain.initialHash(origin: replica.origin)
        var signed: [UInt64] = []
        try replica.missingRuns(since: VersionVector()) { run in
            #expect(run.origin == replica.origin)
            for (i, entry) in run.entries.enumerated() {
                let seq = run.firstSeq + UInt64(i)
                hash = Chain.next(previous: hash, origin: run.origin, seq: seq, hlc: entry.hlc, payload: entry.payload)
                if let signature = entry.signature {
                    #expect(Chain.verify(origin: run.origin, seq: seq, hash: hash, signature: signature, publicKey: replica.identity.publicKey))
                    signed.append(seq)
                }
            }
        }
        // Genesis (1), the court's seeded calendar and book (each commit signed at its head), then
        // 10 comments signed every 4th and at the end.
        let (calendar, flows) = Replica.courtSeedOperations
        let seeded = UInt64(1 + calendar + flows)
        #expect(signed == [1, UInt64(1 + calendar), seeded, seeded + 4, seeded + 8, seeded + 10])
        #expect(replica.origins[replica.origin]?.headHash == hash)
    }
}
