import BlobEvents
import Foundation
import Operations
import StorageClient
import Testing

@Suite("Backfilling blobs Event Grid never reported", .serialized)
struct BackfillTests {
    @Test("each listed blob becomes the event Event Grid would have sent, with a stable id", .timeLimit(.minutes(2)))
    func enqueue() async throws {
        try await OperationsHarness.run { harness in
            let input = harness.pipeline.container("input")
            try await input.createIfNotExists()
            let eTag = try await input.blob("scans/a b.tif").upload(Array("image".utf8), contentType: "image/tiff")
            try await input.blob("scans/folder/").upload([])
            try await harness.queue.clearMessages()
            let backfiller = Backfiller(
                container: input,
                queue: harness.queue,
                store: harness.store,
                inputFilter: harness.filter,
                logger: harness.logger
            )

            let dry = try await backfiller.run(.init(dryRun: true))
            #expect(dry.rows.map(\.blobName) == ["scans/a b.tif"])
            #expect(dry.counts.skipped == ["directory-or-placeholder": 1])
            #expect(try await harness.queue.peekMessages().isEmpty)

            var totals: [Int] = []
            let report = try await backfiller.run(.init()) { totals.append($0.listed) }
            #expect(report.counts.enqueued == 1 && report.counts.failed == 0)
            #expect(totals.last == 2)
            let messages = try await harness.queue.peekMessages()
            #expect(messages.count == 1)
            guard
                case .work(let item) = MessageDecoder.decode(try #require(messages.first).text, filter: harness.filter)
            else {
                Issue.record("a backfill event is not work for the consumer")
                return
            }
            #expect(item.blobName == "scans/a b.tif")
            #expect(item.eTag == eTag)
            #expect(item.contentLength == 5)
            #expect(item.contentType == "image/tiff")
            #expect(item.api == "PutBlob")
            #expect(item.eventID.hasPrefix("blobflow-backfill-"))
            #expect(item.eventID == report.rows.first?.eventID)

            // The same version gets the same id; a limit stops the listing.
            let again = try await backfiller.run(.init(limit: 1))
            #expect(again.rows.map(\.eventID) == report.rows.map(\.eventID))
        }
    }

    @Test("a prefix outside the input prefix is refused before anything is listed")
    func prefixes() async throws {
        try await OperationsHarness.run { harness in
            let filter = InputFilter(accountName: harness.pipeline.account.name, container: "input", prefix: "in/")
            let backfiller = Backfiller(
                container: harness.pipeline.container("input"),
                queue: harness.queue,
                store: harness.store,
                inputFilter: filter,
                logger: harness.logger
            )
            await #expect(throws: OperationsError.self) {
                try await backfiller.run(.init(prefix: "out/", dryRun: true))
            }
            // A missing input container is named, not a bare 404.
            await #expect(throws: OperationsError.self) { try await backfiller.run(.init(dryRun: true)) }
            try await harness.pipeline.container("input").createIfNotExists()
            // Broader than the input prefix: the input prefix is listed.
            let report = try await backfiller.run(.init(prefix: "i", dryRun: true))
            #expect(report.prefix == "in/")
        }
    }
}
