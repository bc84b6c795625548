import DevStorage
import Foundation
import Logging
import Testing

@Suite("The data folder lock")
struct DataFolderLockTests {
    @Test("a second holder is refused, naming the folder and the owner; the lock goes with its holder")
    func secondHolderRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first: DataFolderLock? = try DataFolderLock(folder: folder)
        #expect(first != nil)
        do {
            _ = try DataFolderLock(folder: folder)
            Issue.record("a second lock on \(folder) was granted")
        } catch {
            #expect(error.isHeldByAnotherProcess)
            #expect(error.ownerPID == ProcessInfo.processInfo.processIdentifier)
            #expect(error.description.contains(folder))
            #expect(error.description.contains("--location"))
        }
        first = nil
        _ = try DataFolderLock(folder: folder)
    }

    @Test("a second server on the same folder refuses before opening its journals")
    func secondServerRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = DevStorageConfiguration()
        configuration.location = folder
        configuration.blobPort = 0
        configuration.queuePort = 0
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let first = try DevStorageServer(configuration: configuration, logger: quiet)
        #expect(throws: DataFolderLockError.self) {
            _ = try DevStorageServer(configuration: configuration, logger: quiet)
        }
        withExtendedLifetime(first) {}
    }
}
