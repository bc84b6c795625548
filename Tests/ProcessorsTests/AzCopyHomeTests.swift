import Foundation
import Logging
import Testing

@testable import Processors

/// The folder azcopy runs in is shared by the runs in progress and removed by the last one.
@Suite("azcopy's shared run folder")
struct AzCopyHomeTests {
    @Test("runs in progress share one folder; the last to end removes it, and the next run makes a new one")
    func sharedUntilTheLastRunEnds() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("azcopy-home-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let home = AzCopyHome(workDirectory: work, logger: Logger(label: "test"))

        let first = try home.enter()
        let second = try home.enter()
        #expect(first == second)
        for inner in [AzCopyEnvironment.logFolder(in: first), AzCopyEnvironment.planFolder(in: first)] {
            #expect(FileManager.default.fileExists(atPath: inner))
        }
        let permissions = try FileManager.default.attributesOfItem(atPath: first)[.posixPermissions] as? Int
        #expect(permissions == 0o700)

        home.leave()
        #expect(FileManager.default.fileExists(atPath: first), "a run is still in progress")
        home.leave()
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty)

        let third = try home.enter()
        #expect(third != first)
        home.leave()
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty)
    }

    @Test("a work folder that cannot be made is an azcopy work-folder error")
    func unusableWorkFolder() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("azcopy-home-\(UUID().uuidString)")
            .path
        try Data().write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let home = AzCopyHome(workDirectory: file + "/work", logger: Logger(label: "test"))
        #expect(throws: AzCopyError.self) { _ = try home.enter() }
    }
}
