import Foundation
import StorageAuth
import Testing

@testable import DevStorage

@Suite struct QueueStoreTests {
    private func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "blobflow-queue-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func receivedMessagesStayInvisibleUntilTheirTimeout() throws {
        let store = try QueueStore(location: self.temporaryFolder())
        _ = try store.createQueue(account: "a", name: "q", metadata: [:])
        let first = try store.put(account: "a", queue: "q", text: "one", visibilityTimeout: 0, timeToLive: -1)
        _ = try store.put(account: "a", queue: "q", text: "two", visibilityTimeout: 0, timeToLive: 60)
        let received = try store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30)
        #expect(received.map(\.text) == ["one", "two"])
        #expect(received.allSatisfy { $0.dequeueCount == 1 })
        #expect(try store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).isEmpty)
        #expect(try store.properties(account: "a", name: "q").count == 2)
        // The receipt from the put is stale after the dequeue.
        #expect(throws: StorageServiceError.self) {
            try store.delete(account: "a", queue: "q", id: first.id, popReceipt: first.popReceipt!)
        }
        try store.delete(account: "a", queue: "q", id: received[0].id, popReceipt: received[0].popReceipt!)
        #expect(try store.properties(account: "a", name: "q").count == 1)
    }

    @Test func updateReturnsANewReceiptAndCanReleaseAtOnce() throws {
        let store = try QueueStore(location: self.temporaryFolder())
        _ = try store.createQueue(account: "a", name: "q", metadata: [:])
        _ = try store.put(account: "a", queue: "q", text: "one", visibilityTimeout: 0, timeToLive: -1)
        let message = try #require(try store.receive(account: "a", queue: "q", count: 1, visibilityTimeout: 30).first)
        let updated = try store.update(
            account: "a",
            queue: "q",
            id: message.id,
            popReceipt: message.popReceipt!,
            visibilityTimeout: 0,
            text: "changed"
        )
        #expect(updated.popReceipt != message.popReceipt)
        let again = try store.receive(account: "a", queue: "q", count: 1, visibilityTimeout: 30)
        #expect(again.map(\.text) == ["changed"])
        #expect(again.first?.dequeueCount == 2)
    }

    @Test func stateSurvivesARestart() throws {
        let folder = self.temporaryFolder()
        do {
            let store = try QueueStore(location: folder)
            _ = try store.createQueue(account: "a", name: "q", metadata: ["k": "v"])
            for index in 0..<10 {
                _ = try store.put(account: "a", queue: "q", text: "m\(index)", visibilityTimeout: 0, timeToLive: -1)
            }
            let taken = try store.receive(account: "a", queue: "q", count: 3, visibilityTimeout: 600)
            try store.delete(account: "a", queue: "q", id: taken[0].id, popReceipt: taken[0].popReceipt!)
        }
        let reopened = try QueueStore(location: folder)
        let (metadata, count) = try reopened.properties(account: "a", name: "q")
        #expect(metadata == ["k": "v"])
        #expect(count == 9)
        // Two are still invisible after the restart; the other seven come back in order.
        let visible = try reopened.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30)
        #expect(visible.map(\.text) == (3..<10).map { "m\($0)" })
    }

    @Test func expiredMessagesAreNeverDelivered() throws {
        let store = try QueueStore(location: self.temporaryFolder())
        _ = try store.createQueue(account: "a", name: "q", metadata: [:])
        _ = try store.put(account: "a", queue: "q", text: "short", visibilityTimeout: 0, timeToLive: 1)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try store.receive(account: "a", queue: "q", count: 32, visibilityTimeout: 30).isEmpty)
    }

    @Test func createIsIdempotentOnlyWithTheSameMetadata() throws {
        let store = try QueueStore(location: self.temporaryFolder())
        #expect(try store.createQueue(account: "a", name: "q", metadata: ["x": "1"]) == .created)
        #expect(try store.createQueue(account: "a", name: "q", metadata: ["x": "1"]) == .existed)
        #expect(throws: StorageServiceError.self) { try store.createQueue(account: "a", name: "q", metadata: [:]) }
    }
}

@Suite struct ConfigurationParsingTests {
    @Test func parsesSubscriptions() throws {
        let subscription = try EventSubscription(
            parsing:
                "container=photos,queue=photo-events,schema=CloudEventSchemaV1_0,encoding=text,prefix=raw/,suffix=.jpg,ttl=3600"
        )
        #expect(subscription.container == "photos")
        #expect(subscription.schema == .cloudEvents)
        #expect(subscription.encoding == .text)
        #expect(subscription.messageTTL == 3600)
        #expect(subscription.matches(account: "devstoreaccount1", container: "photos", blobName: "raw/a.jpg"))
        #expect(!subscription.matches(account: "devstoreaccount1", container: "photos", blobName: "raw/a.png"))
        #expect(throws: DevStorageConfigurationError.self) { try EventSubscription(parsing: "queue=q") }
        #expect(throws: DevStorageConfigurationError.self) {
            try EventSubscription(parsing: "container=c,queue=q,colour=red")
        }
    }

    @Test func parsesFaultPlans() throws {
        let plan = try FaultPlan(parsing: "rate=0.2,kinds=500|503|hang|drop,ops=GetMessages|PutMessage,hang=5,seed=7")
        #expect(plan.rate == 0.2)
        #expect(plan.kinds == [.internalError, .serverBusy, .hang, .drop])
        #expect(plan.operations == ["GetMessages", "PutMessage"])
        #expect(throws: DevStorageConfigurationError.self) { try FaultPlan(parsing: "rate=2") }
        let injector = FaultInjector(plan: try FaultPlan(parsing: "rate=0.5,seed=1"))
        let drawn = (0..<1000).compactMap { _ in injector.fault(for: "PutBlob") }.count
        #expect((350...650).contains(drawn))
    }

    @Test func parsesExtraAccounts() throws {
        var configuration = DevStorageConfiguration()
        try configuration.addAccounts(from: "second:c2Vjb25kLWtleQ==;third:dGhpcmQ=")
        #expect(configuration.accounts.map(\.accountName) == ["devstoreaccount1", "second", "third"])
        #expect(throws: DevStorageConfigurationError.self) { try configuration.addAccounts(from: "Bad_Name:key") }
    }
}
