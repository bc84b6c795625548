import Checkpoints
import Foundation
import Operations
import StorageClient
import Testing

@Suite("Dead-letter replay against the development server", .serialized)
struct DeadLetterReplayerTests {
    @Test(
        "replaying everything moves the exact texts, resets checkpoints and removes the records",
        .timeLimit(.minutes(2))
    )
    func replayAll() async throws {
        try await OperationsHarness.run { harness in
            let events = [TestEvent("a.txt"), TestEvent("scans/b.tif"), TestEvent("scans/2026/c.tif")]
            var texts: [String] = []
            for event in events { texts.append(try await harness.deadLetter(event)) }
            let garbage = "this is not an event"
            try await harness.deadLetterUndecodable(garbage)
            texts.append(garbage)
            #expect(try harness.store.deadLetters().count == 4)

            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)

            #expect(report.counts.total == 4)
            #expect(report.counts.moved == 4)
            #expect(report.rows.allSatisfy { $0.action == .moved })
            #expect(try await harness.visibleTexts(harness.queue) == texts.sorted())
            #expect(try await harness.visibleTexts(harness.poisonQueue).isEmpty)
            #expect(try await harness.poisonQueue.properties().approximateMessageCount == 0)
            for event in events {
                let record = try #require(try harness.store.load(harness.key(event.blobName, eTag: event.eTag)))
                #expect(record.step == .received)
                #expect(!record.step.isFinal)
                #expect(record.replays == 1)
                #expect(record.attempts == 0)
                #expect(record.deadLetterReason == nil)
            }
            #expect(try harness.store.deadLetters().isEmpty)

            let rowsByBlob = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.blob ?? "-", $0) })
            let b = try #require(rowsByBlob["input/scans/b.tif"])
            #expect(b.eventID == events[1].id)
            #expect(b.reason == "dequeue-limit-reached")
            #expect(b.attempts == 5)
            let undecodable = try #require(rowsByBlob["-"])
            #expect(undecodable.eventID == nil)
            #expect(undecodable.reason == "undecodable-message")
            #expect(report.table().contains("moved 4 of 4 dead letters"))
        }
    }

    @Test("a dry run changes nothing and leaves every message visible in the poison queue", .timeLimit(.minutes(2)))
    func dryRun() async throws {
        try await OperationsHarness.run { harness in
            let events = [TestEvent("a.txt"), TestEvent("b.txt")]
            var texts: [String] = []
            for event in events { texts.append(try await harness.deadLetter(event)) }
            try await harness.deadLetterUndecodable("{not json")
            texts.append("{not json")

            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: true)

            #expect(report.dryRun)
            #expect(report.counts.wouldMove == 3)
            #expect(report.counts.moved == 0)
            #expect(try await harness.visibleTexts(harness.poisonQueue) == texts.sorted())
            #expect(try await harness.visibleTexts(harness.queue).isEmpty)
            for event in events {
                #expect(try harness.store.load(harness.key(event.blobName, eTag: event.eTag))?.step == .deadLettered)
            }
            #expect(try harness.store.deadLetters().count == 3)
            #expect(report.summary == "dry run: would move 3 of 3 dead letters; nothing was changed")

            // Visible again means a real replay right after finds them all.
            let real = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            #expect(real.counts.moved == 3)
        }
    }

    @Test("a blob pattern selects by name or container/name; the rest stay visible", .timeLimit(.minutes(2)))
    func blobPattern() async throws {
        try await OperationsHarness.run { harness in
            let tif1 = TestEvent("scans/2026/a1.tif")
            let tif2 = TestEvent("scans/b2.tif")
            let text = TestEvent("notes/readme.txt")
            for event in [tif1, tif2, text] { try await harness.deadLetter(event) }
            try await harness.deadLetterUndecodable("garbage")

            let report = try await harness.replayer().replay(
                filter: ReplayFilter(blobPattern: "scans/*.tif"),
                dryRun: false
            )
            #expect(report.counts.moved == 2)
            #expect(report.counts.skippedFilter == 2)
            #expect(report.summary == "moved 2 of 4 dead letters; 2 did not match the filter")
            #expect(try await harness.visibleTexts(harness.queue) == [tif1.messageText, tif2.messageText].sorted())
            #expect(try await harness.visibleTexts(harness.poisonQueue) == [text.messageText, "garbage"].sorted())
            // Unmatched versions keep their dead-lettered checkpoints and records.
            #expect(try harness.store.load(harness.key(text.blobName, eTag: text.eTag))?.step == .deadLettered)
            #expect(try harness.store.deadLetters().count == 2)

            // With the container, and `?` for one character.
            let second = try await harness.replayer().replay(
                filter: ReplayFilter(blobPattern: "input/notes/readm?.txt"),
                dryRun: false
            )
            #expect(second.counts.moved == 1)
            #expect(second.rows.first { $0.action == .moved }?.blob == "input/notes/readme.txt")
            #expect(try await harness.visibleTexts(harness.poisonQueue) == ["garbage"])
        }
    }

    @Test("an event id selects exactly one dead letter", .timeLimit(.minutes(2)))
    func eventID() async throws {
        try await OperationsHarness.run { harness in
            let events = [TestEvent("a.txt"), TestEvent("b.txt"), TestEvent("c.txt")]
            for event in events { try await harness.deadLetter(event) }

            let report = try await harness.replayer().replay(filter: ReplayFilter(eventID: events[1].id), dryRun: false)
            #expect(report.counts.moved == 1)
            #expect(report.counts.skippedFilter == 2)
            #expect(try await harness.visibleTexts(harness.queue) == [events[1].messageText])
            #expect(try harness.store.load(harness.key("b.txt", eTag: events[1].eTag))?.step == .received)
            #expect(try harness.store.load(harness.key("a.txt", eTag: events[0].eTag))?.step == .deadLettered)
            #expect(
                try harness.store.deadLetters().map(\.eventID).sorted { ($0 ?? "") < ($1 ?? "") }
                    == [events[0].id, events[2].id].sorted()
            )
        }
    }

    @Test("a limit moves that many and leaves the rest", .timeLimit(.minutes(2)))
    func limit() async throws {
        try await OperationsHarness.run { harness in
            for index in 0..<5 { try await harness.deadLetter(TestEvent("file-\(index).txt")) }

            let report = try await harness.replayer().replay(
                filter: ReplayFilter(blobPattern: "file-*", limit: 2),
                dryRun: false
            )
            #expect(report.counts.moved == 2)
            #expect(report.counts.skippedLimit == 3)
            #expect(report.summary == "moved 2 of 5 dead letters; 3 left by the limit")
            #expect(try await harness.visibleTexts(harness.queue).count == 2)
            #expect(try await harness.visibleTexts(harness.poisonQueue).count == 3)
            #expect(try harness.store.deadLetters().count == 3)
        }
    }

    @Test("older-than and newer-than select by time in the poison queue", .timeLimit(.minutes(2)))
    func age() async throws {
        try await OperationsHarness.run { harness in
            let old = TestEvent("old.txt")
            let new = TestEvent("new.txt")
            try await harness.deadLetter(old)
            // Queue insertion times are whole seconds: keep the two well apart.
            try await Task.sleep(for: .seconds(3))
            let now = Date().addingTimeInterval(0.5)
            try await harness.deadLetter(new)
            let clock: @Sendable () -> Date = { now }

            let newer = try await harness.replayer(clock: clock).replay(
                filter: ReplayFilter(newerThan: .seconds(2)),
                dryRun: true
            )
            #expect(newer.rows.filter { $0.action == .wouldMove }.map(\.blob) == ["input/new.txt"])
            let older = try await harness.replayer(clock: clock).replay(
                filter: ReplayFilter(olderThan: .seconds(2)),
                dryRun: true
            )
            #expect(older.rows.filter { $0.action == .wouldMove }.map(\.blob) == ["input/old.txt"])
            let neither = try await harness.replayer(clock: clock).replay(
                filter: ReplayFilter(olderThan: .seconds(2), newerThan: .seconds(2)),
                dryRun: true
            )
            #expect(neither.counts.wouldMove == 0)

            let moved = try await harness.replayer(clock: clock).replay(
                filter: ReplayFilter(olderThan: .seconds(2)),
                dryRun: false
            )
            #expect(moved.counts.moved == 1)
            #expect(try await harness.visibleTexts(harness.queue) == [old.messageText])
            #expect(try await harness.visibleTexts(harness.poisonQueue) == [new.messageText])
            let row = try #require(moved.rows.first { $0.blob == "input/old.txt" })
            #expect(row.age >= .seconds(3))
        }
    }

    @Test("an undecodable message is replayed raw and its record found by text", .timeLimit(.minutes(2)))
    func undecodable() async throws {
        try await OperationsHarness.run { harness in
            let raw = "<not an event> \u{1F4A5} with a newline\nand more"
            try await harness.deadLetterUndecodable(raw)
            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            #expect(report.counts.moved == 1)
            #expect(report.rows.first?.reason == "undecodable-message")
            #expect(report.rows.first?.blob == nil)
            #expect(try await harness.visibleTexts(harness.queue) == [raw])
            #expect(try harness.store.deadLetters().isEmpty)
            // The table keeps every row on one line.
            #expect(report.table().split(separator: "\n", omittingEmptySubsequences: false).count == 5)
        }
    }

    @Test("a poison message without a record or checkpoint is still moved", .timeLimit(.minutes(2)))
    func noRecord() async throws {
        try await OperationsHarness.run { harness in
            let event = TestEvent("orphan.txt")
            try await harness.poisonQueue.sendMessage(event.messageText, timeToLive: -1)
            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            #expect(report.counts.moved == 1)
            #expect(report.rows.first?.reason == nil)
            #expect(report.rows.first?.eventID == event.id)
            #expect(try await harness.visibleTexts(harness.queue) == [event.messageText])
            #expect(try harness.store.load(harness.key("orphan.txt", eTag: event.eTag)) == nil)
        }
    }

    @Test("a completed blob version is not reset; the event is still moved", .timeLimit(.minutes(2)))
    func completedIsLeftAlone() async throws {
        try await OperationsHarness.run { harness in
            let event = TestEvent("done.txt")
            try await harness.deadLetter(event)
            let key = harness.key("done.txt", eTag: event.eTag)
            var record = try #require(try harness.store.load(key))
            record.step = .completed
            try harness.store.save(record)

            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            #expect(report.counts.moved == 1)
            #expect(report.rows.first?.note?.contains("already completed") == true)
            #expect(try harness.store.load(key)?.step == .completed)
            #expect(try harness.store.deadLetters().isEmpty)
        }
    }

    @Test("a failure on one message is reported in its row and does not stop the others", .timeLimit(.minutes(2)))
    func failureIsolated() async throws {
        try await OperationsHarness.run { harness in
            let good = [TestEvent("good-1.txt"), TestEvent("good-2.txt")]
            let bad = TestEvent("bad.txt")
            for event in good + [bad] { try await harness.deadLetter(event) }
            // A checkpoint written by a newer blobflow: this build must not overwrite it.
            let digest = harness.key("bad.txt", eTag: bad.eTag).digest
            let path = "\(harness.store.directory)/records/\(digest.prefix(2))/\(digest).json"
            try Data(#"{"schemaVersion": 99}"#.utf8).write(to: URL(fileURLWithPath: path))

            let report = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            #expect(report.counts.moved == 2)
            #expect(report.counts.failed == 1)
            let failed = try #require(report.rows.first { $0.blob == "input/bad.txt" })
            guard case .failed(let error) = failed.action else {
                Issue.record("expected a failure, got \(failed.action)")
                return
            }
            #expect(error.contains("cannot reset the checkpoint"))
            #expect(report.summary == "moved 2 of 3 dead letters; 1 failed")
            #expect(try await harness.visibleTexts(harness.queue) == good.map(\.messageText).sorted())
            #expect(try await harness.visibleTexts(harness.poisonQueue) == [bad.messageText])
            #expect(try harness.store.deadLetters().map(\.eventID) == [bad.id])
        }
    }

    @Test(
        "a missing poison queue is an empty replay with a note; a missing work queue is an error",
        .timeLimit(.minutes(2))
    )
    func missingQueues() async throws {
        try await OperationsHarness.run(createQueues: false) { harness in
            let dry = try await harness.replayer().replay(filter: ReplayFilter(), dryRun: true)
            #expect(dry.rows.isEmpty)
            #expect(dry.notes.count == 1)
            #expect(dry.notes.first?.contains("does not exist") == true)
            #expect(dry.summary == "no dead letters in the poison queue 'blobflow-events-poison'")

            await #expect(throws: OperationsError.self) {
                try await harness.replayer().replay(filter: ReplayFilter(), dryRun: false)
            }
        }
    }

    @Test("more messages than one batch are all handled", .timeLimit(.minutes(3)))
    func manyBatches() async throws {
        try await OperationsHarness.run { harness in
            for index in 0..<40 {
                try await harness.poisonQueue.sendMessage(TestEvent("bulk/\(index).txt").messageText, timeToLive: -1)
            }
            let dry = try await harness.replayer().replay(filter: ReplayFilter(blobPattern: "bulk/1*"), dryRun: true)
            #expect(dry.counts.total == 40)
            #expect(dry.counts.wouldMove == 11)  // 1, 10...19
            #expect(Set(dry.rows.map(\.messageID)).count == 40)
            #expect(try await harness.poisonQueue.peekMessages(maxMessages: 32).count == 32)

            let report = try await harness.replayer().replay(
                filter: ReplayFilter(blobPattern: "bulk/1*"),
                dryRun: false
            )
            #expect(report.counts.moved == 11)
            #expect(try await harness.queue.properties().approximateMessageCount == 11)
            #expect(try await harness.poisonQueue.properties().approximateMessageCount == 29)
        }
    }
}
