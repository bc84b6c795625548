import DevLoop
import DevStorage
import DevStorageTesting
import Foundation
import Logging
import ServiceLifecycle
import StorageClient
import StorageHTTP
import Testing

@Suite("The local loop: drop folder and output mirror", .serialized)
struct DevLoopTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("the embedded sample app is scripts/sample-app/app.sh, byte for byte")
    func sampleAppMatchesTheRepository() throws {
        let file = try String(
            contentsOf: Self.root.appendingPathComponent("scripts/sample-app/app.sh"),
            encoding: .utf8
        )
        #expect(SampleApp.script == file)
    }

    @Test("the sample app writes a report and a transformed copy, and refuses an empty input with 65")
    func sampleAppContract() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sample-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        let command = try SampleApp.install(at: folder + "/app.sh")
        try "abc\ndef\n".write(toFile: folder + "/in.txt", atomically: true, encoding: .utf8)
        #expect(try Self.run(command, input: folder + "/in.txt", output: folder + "/out") == 0)
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/report.json")))
            as? [String: Any]
        #expect(report?["bytes"] as? Int == 8)
        #expect(report?["lines"] as? Int == 2)
        #expect((report?["md5"] as? String)?.count == 32)
        #expect(try String(contentsOfFile: folder + "/out/transformed/in.txt.upper", encoding: .utf8) == "ABC\nDEF\n")
        _ = FileManager.default.createFile(atPath: folder + "/empty.txt", contents: Data())
        #expect(try Self.run(command, input: folder + "/empty.txt", output: folder + "/out") == 65)
    }

    static func run(_ command: [String], input: String, output: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = command.dropFirst().map { $0 == "{input}" ? input : $0 == "{output}" ? output : $0 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(
        "dropped files are uploaded once stable, and not again after a restart; outputs are mirrored",
        .timeLimit(.minutes(1))
    )
    func dropAndMirror() async throws {
        try await withDevStorage { endpoints in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("devloop-\(UUID().uuidString)")
                .path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            let input = pipeline.container("input")
            let output = pipeline.container("output")
            _ = try await input.createIfNotExists()
            _ = try await output.createIfNotExists()
            try FileManager.default.createDirectory(atPath: folder + "/drop/sub", withIntermediateDirectories: true)
            try "one".write(toFile: folder + "/drop/one.txt", atomically: true, encoding: .utf8)
            try "two".write(toFile: folder + "/drop/sub/two words.txt", atomically: true, encoding: .utf8)
            try "hidden".write(toFile: folder + "/drop/.partial", atomically: true, encoding: .utf8)
            try await output.blob("one.txt/report.json").upload(Array("{}".utf8))
            try await output.blob("one.txt/_manifest.json").upload(Array("{\"outputs\":[]}".utf8))

            @Sendable func names() async throws -> Set<String> {
                var found: Set<String> = []
                for try await page in input.listBlobs() { found.formUnion(page.blobs.map(\.name)) }
                return found
            }
            try await Self.runServices([
                DropFolderUploader(
                    folder: folder + "/drop",
                    container: input,
                    stateFile: folder + "/state.json",
                    interval: .milliseconds(50),
                    logger: Self.quiet
                ),
                OutputMirror(
                    container: output,
                    folder: folder + "/outputs",
                    interval: .milliseconds(50),
                    logger: Self.quiet
                ),
            ]) {
                try await Self.waitUntil { try await names() == ["one.txt", "sub/two words.txt"] }
                try await Self.waitUntil {
                    FileManager.default.fileExists(atPath: folder + "/outputs/one.txt/_manifest.json")
                }
            }
            #expect(try await names() == ["one.txt", "sub/two words.txt"])
            #expect(try String(contentsOfFile: folder + "/outputs/one.txt/report.json", encoding: .utf8) == "{}")

            // A restart uploads nothing that did not change; a changed file goes again.
            let before = try await input.blob("one.txt").properties().eTag
            let untouched = try await input.blob("sub/two words.txt").properties().eTag
            try "one, changed".write(toFile: folder + "/drop/one.txt", atomically: true, encoding: .utf8)
            try await Self.runServices([
                DropFolderUploader(
                    folder: folder + "/drop",
                    container: input,
                    stateFile: folder + "/state.json",
                    interval: .milliseconds(50),
                    logger: Self.quiet
                )
            ]) {
                try await Self.waitUntil { try await input.blob("one.txt").properties().eTag != before }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(try await input.blob("sub/two words.txt").properties().eTag == untouched)
            #expect(try await input.blob("one.txt").downloadBytes() == Array("one, changed".utf8))
        }
    }

    static func runServices(_ services: [any Service], while body: @Sendable () async throws -> Void) async throws {
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: Self.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func waitUntil(timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool) async throws
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("condition not met within \(timeout)")
        throw CancellationError()
    }
}
