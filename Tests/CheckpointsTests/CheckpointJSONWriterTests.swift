import Foundation
import Testing

@testable import Checkpoints

/// The claim and record writer gives the text `JSONEncoder` gave, read back the same.
@Suite struct CheckpointJSONWriterTests {
    static let key = CheckpointKey(
        account: "acct",
        container: "inbox",
        blobName: "dir/a \"quoted\" \\ name\n\t\u{01}é😀/x",
        eTag: "0x8DC0000000000AB"
    )

    static func records() -> [CheckpointRecord] {
        let date = Date(timeIntervalSince1970: 1_796_000_000.123)
        var plain = CheckpointRecord(key: Self.key, at: date)
        plain.beginAttempt(eventID: nil, messageID: nil, replicaID: "replica-a", at: date)
        var full = CheckpointRecord(key: Self.key, eventID: "ev-1", messageID: "msg-1", replicaID: "r", at: date)
        full.beginAttempt(eventID: "ev-2", messageID: "msg-2", replicaID: "replica-b", at: date.addingTimeInterval(1))
        full.complete(.downloaded, took: .milliseconds(1500), at: date.addingTimeInterval(2))
        full.complete(.processed, took: .seconds(1e-5), at: date.addingTimeInterval(3))
        full.timings["total"] = 12_345_678.25
        full.outputs = [
            CheckpointOutput(name: "out/report.json", size: 12, md5: "xgQX3hTxD8e0kVuo9iMlIg=="),
            CheckpointOutput(name: "out/no-md5", size: 0),
        ]
        full.recordFailure("exit 1: \"boom\"\nsecond line", at: date.addingTimeInterval(4))
        full.markDeadLettered(reason: "permanent-failure", at: date.addingTimeInterval(5))
        return [plain, full]
    }

    @Test func recordsReadBackAndMeanWhatJSONEncoderWrote() throws {
        for record in Self.records() {
            let fast = try CheckpointJSONWriter.encode(record)
            #expect(try CheckpointJSON.decode(CheckpointRecord.self, from: fast) == record)
            try Self.expectSameMeaning(fast, try CheckpointJSON.encodeWithFoundation(record, path: "r"))
        }
    }

    @Test func claimsReadBackAndMeanWhatJSONEncoderWrote() throws {
        for released in [nil, true, false] as [Bool?] {
            for record in Self.records() {
                let file = ClaimFile(
                    owner: "replica-a",
                    token: "0123456789abcdef0123456789abcdef",
                    acquiredAt: Date(timeIntervalSince1970: 1_796_000_000.5),
                    expiresAt: Date(timeIntervalSince1970: 1_796_000_300.5),
                    pid: 4242,
                    host: "host-1",
                    released: released,
                    record: record
                )
                let fast = try CheckpointJSONWriter.encode(file)
                let back = try CheckpointJSON.decode(ClaimFile.self, from: fast)
                #expect(back.record == record && back.token == file.token && back.released == released)
                #expect(back.expiresAt == file.expiresAt && back.pid == file.pid && back.host == file.host)
                try Self.expectSameMeaning(fast, try CheckpointJSON.encodeWithFoundation(file, path: "c"))
            }
        }
    }

    @Test func nonFiniteTimingsAreRefusedAsJSONEncoderRefusedThem() {
        var record = CheckpointRecord(key: Self.key)
        record.timings["total"] = .infinity
        #expect(throws: CheckpointError.self) { try CheckpointJSON.encode(record, path: "r") }
    }

    /// Both texts parse to equal values (numbers compared by value).
    static func expectSameMeaning(_ fast: [UInt8], _ reference: [UInt8]) throws {
        let a = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: Data(reference)) as? NSDictionary
        #expect(a != nil && a == b, "\(String(decoding: fast, as: UTF8.self))")
        #expect(fast.last == UInt8(ascii: "\n"))
    }
}
