import Foundation
import Testing

@testable import Operations

@Suite("Replay filters and report formatting")
struct ReportFormattingTests {
    @Test(
        "glob patterns",
        arguments: [
            ("*", "anything/at/all", true),
            ("*.tif", "scans/2026/a.tif", true),
            ("scans/*.tif", "scans/2026/a.tif", true),
            ("scans/*.tif", "scans/a.tiff", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("", "", true),
            ("", "a", false),
            ("Scans/*", "scans/a", false),
            ("?", "é", true),
            ("**a", "bbba", true),
        ]
    )
    func glob(pattern: String, text: String, matches: Bool) {
        #expect(GlobPattern(pattern).matches(text) == matches)
    }

    @Test("a glob never backtracks exponentially")
    func globIsLinear() {
        let text = String(repeating: "a", count: 10_000)
        #expect(!GlobPattern(String(repeating: "*a", count: 50) + "b").matches(text))
    }

    @Test("filter conditions all hold")
    func filter() {
        let filter = ReplayFilter(
            blobPattern: "scans/*",
            eventID: "e1",
            olderThan: .seconds(60),
            newerThan: .seconds(3600)
        )
        #expect(filter.matches(eventID: "e1", container: "input", blobName: "scans/a", age: .seconds(120)))
        #expect(!filter.matches(eventID: "e2", container: "input", blobName: "scans/a", age: .seconds(120)))
        #expect(!filter.matches(eventID: "e1", container: "input", blobName: "other/a", age: .seconds(120)))
        #expect(!filter.matches(eventID: "e1", container: "input", blobName: "scans/a", age: .seconds(30)))
        #expect(!filter.matches(eventID: "e1", container: "input", blobName: "scans/a", age: .seconds(7200)))
        #expect(!filter.matches(eventID: nil, container: nil, blobName: nil, age: .seconds(120)))
        #expect(ReplayFilter().matches(eventID: nil, container: nil, blobName: nil, age: .zero))
        #expect(
            ReplayFilter(blobPattern: "input/*").matches(eventID: nil, container: "input", blobName: "x", age: .zero)
        )
    }

    @Test("the replay table is aligned and ends with the summary")
    func replayTable() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let report = ReplayReport(
            dryRun: false,
            queue: "q",
            poisonQueue: "q-poison",
            rows: [
                .init(
                    messageID: "m1",
                    eventID: "e1",
                    blob: "input/a.txt",
                    reason: "dequeue-limit-reached",
                    attempts: 5,
                    deadLetteredAt: date,
                    age: .seconds(7_500),
                    action: .moved
                ),
                .init(
                    messageID: "m2",
                    eventID: nil,
                    blob: nil,
                    reason: nil,
                    attempts: nil,
                    deadLetteredAt: date,
                    age: .seconds(42),
                    action: .skippedFilter
                ),
                .init(
                    messageID: "m3",
                    eventID: "e3",
                    blob: "input/b\nc.txt",
                    reason: "permanent-failure",
                    attempts: 1,
                    deadLetteredAt: date,
                    age: .seconds(90_000),
                    action: .failed("PutMessage failed with HTTP 500")
                ),
            ]
        )
        let table = report.table()
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("MESSAGE ID  EVENT ID  BLOB"))
        let actionColumn = try #require(lines[0].range(of: "ACTION")).lowerBound.utf16Offset(in: lines[0])
        for line in lines[1...3] {
            #expect(line.count > actionColumn)
            #expect(!line.hasSuffix(" "))
        }
        #expect(lines[1].contains("2h 5m"))
        #expect(lines[2].contains("(undecodable)"))
        #expect(lines[3].contains("input/b c.txt"))
        #expect(lines[3].contains("1d 1h"))
        #expect(lines[3].hasSuffix("failed: PutMessage failed with HTTP 500"))
        #expect(lines.last == "")
        #expect(lines[lines.count - 2] == "moved 1 of 3 dead letters; 1 did not match the filter; 1 failed")
    }

    @Test("the replay report round-trips through JSON with stable keys")
    func replayJSON() throws {
        let report = ReplayReport(
            dryRun: true,
            queue: "q",
            poisonQueue: "q-poison",
            rows: [
                .init(
                    messageID: "m1",
                    eventID: "e1",
                    blob: "input/a.txt",
                    reason: "permanent-failure",
                    attempts: 2,
                    deadLetteredAt: Date(timeIntervalSince1970: 1_800_000_000.25),
                    age: .milliseconds(1_500),
                    action: .wouldMove
                ),
                .init(
                    messageID: "m2",
                    eventID: nil,
                    blob: nil,
                    reason: nil,
                    attempts: nil,
                    deadLetteredAt: Date(timeIntervalSince1970: 1_800_000_000),
                    age: .seconds(1),
                    action: .failed("boom")
                ),
            ],
            notes: ["a note"]
        )
        let json = try report.json()
        #expect(json.contains("\"action\" : \"would-move\""))
        #expect(json.contains("\"error\" : \"boom\""))
        #expect(json.contains("\"deadLetteredAt\" : \"2027-01-15T08:00:00.250Z\""))
        #expect(json.contains("\"ageSeconds\" : 1.5"))
        #expect(json.contains("\"wouldMove\" : 1"))
        let decoded = try ReplayReport.decode(json: json)
        #expect(decoded == report)
    }

    @Test("ages read as the two largest units")
    func ages() {
        #expect(AgeFormat.short(.seconds(0)) == "0s")
        #expect(AgeFormat.short(.seconds(59)) == "59s")
        #expect(AgeFormat.short(.seconds(60)) == "1m")
        #expect(AgeFormat.short(.seconds(125)) == "2m 5s")
        #expect(AgeFormat.short(.seconds(3_600)) == "1h")
        #expect(AgeFormat.short(.seconds(86_400 * 3 + 3_600 * 4 + 59)) == "3d 4h")
    }
}
