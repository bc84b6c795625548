import Foundation
import Testing

@testable import DevStorage

@Suite struct DevStorageFidelityTests {
    private func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "blobflow-fidelity-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Expired messages met by a receive are journaled as removed before they leave memory, so
    /// a reopened store agrees with the one that removed them.
    @Test func expiredMessagesAreRemovedThroughTheJournal() async throws {
        let folder = self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try QueueStore(location: folder)
        _ = try store.createQueue(account: "a", name: "q", metadata: [:])
        _ = try store.put(account: "a", queue: "q", text: "short-lived", visibilityTimeout: 0, timeToLive: 1)
        let kept = try store.put(account: "a", queue: "q", text: "kept", visibilityTimeout: 0, timeToLive: -1)
        try await Task.sleep(for: .milliseconds(1500))
        let peeked = try store.peek(account: "a", queue: "q", count: 32)
        #expect(peeked.map(\.id) == [kept.id])
        #expect(try store.properties(account: "a", name: "q").count == 1)
        let reopened = try QueueStore(location: folder)
        #expect(try reopened.properties(account: "a", name: "q").count == 1)
        #expect(try reopened.peek(account: "a", queue: "q", count: 32).map(\.text) == ["kept"])
    }

    @Test func productionHostsNameTheirAccount() {
        #expect(
            ProductionHost.account(inHost: "devstoreaccount1.blob.core.windows.net", service: .blob)
                == "devstoreaccount1"
        )
        #expect(
            ProductionHost.account(inHost: "DevStoreAccount1.BLOB.core.windows.net:443", service: .blob)
                == "devstoreaccount1"
        )
        #expect(ProductionHost.account(inHost: "acct.queue.core.windows.net", service: .queue) == "acct")
        #expect(ProductionHost.account(inHost: "acct.queue.core.windows.net", service: .blob) == nil)
        #expect(ProductionHost.account(inHost: "127.0.0.1:10000", service: .blob) == nil)
        #expect(ProductionHost.account(inHost: "a.b.blob.core.windows.net", service: .blob) == nil)
        #expect(ProductionHost.account(inHost: ".blob.core.windows.net", service: .blob) == nil)
    }

    @Test func accessTiersParseCaseInsensitively() {
        #expect(AccessTier(header: "archive") == .archive)
        #expect(AccessTier(header: "COLD") == .cold)
        #expect(AccessTier(header: "P10") == nil)
    }
}
