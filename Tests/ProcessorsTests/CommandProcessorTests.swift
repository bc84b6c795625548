import BlobEvents
import Foundation
import Glibc
import Processing
import Processors
import StorageClient
import Testing

@Suite("Command processor against the development server", .serialized, .timeLimit(.minutes(2)))
struct CommandProcessorTests {
    @Test("the app's files go through the transfer engine, blobflow's log and manifest through the record engine")
    func recordEngine() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "printf 'x' > \"$2/out.txt\"")
            let engine = fixture.engine()
            let records = fixture.engine()
            let processor = CommandProcessor(
                configuration: fixture.configuration(app, arguments: ["{input}", "{output}"]),
                engine: engine,
                recordEngine: records
            )
            let item = try await fixture.upload("in.txt")
            let result = try await fixture.run(processor, item)
            #expect(result.outputs.map(\.name) == ["in.txt/out.txt", "in.txt/_blobflow.log", "in.txt/_manifest.json"])
            #expect(engine.uploads == ["in.txt/out.txt"])
            #expect(engine.downloads.count == 1)
            #expect(records.uploads == ["in.txt/_blobflow.log", "in.txt/_manifest.json"])
            #expect(records.downloads.isEmpty)
        }
    }

    @Test("runs the app, uploads nested outputs with source metadata, then the log, then the manifest")
    func success() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script(
                "app.sh",
                """
                set -e
                out="$2"
                mkdir -p "$out/sub/dir"
                printf '{"ok":true}\\n' > "$out/a.json"
                printf 'x,y\\n1,2\\n' > "$out/sub/dir/b.csv"
                printf 'plain' > "$out/c"
                printf '%s\\n' "$1" "$3" "$4" > "$out/../args.txt"
                echo "hello from the app"
                echo "a warning" >&2
                """
            )
            var configuration = fixture.configuration(app, arguments: ["{input}", "{output}", "{name}", "{stem}"])
            configuration.inputPrefix = "incoming/"
            configuration.outputPrefix = "results/"
            let engine = fixture.engine()
            let processor = CommandProcessor(configuration: configuration, engine: engine)
            #expect(processor.name == "command")
            let item = try await fixture.upload("incoming/2025/report one.txt")
            let steps = StepLog()
            let result = try await fixture.run(processor, item, attempt: 2, steps: steps)

            let base = "results/2025/report one.txt"
            #expect(
                result.outputs.map(\.name) == [
                    "\(base)/a.json", "\(base)/c", "\(base)/sub/dir/b.csv", "\(base)/_blobflow.log",
                    "\(base)/_manifest.json",
                ]
            )
            #expect(engine.uploads.last == "\(base)/_manifest.json")
            #expect(engine.uploads.dropLast().last == "\(base)/_blobflow.log")
            #expect(steps.reached == ["downloaded", "processed", "uploaded"])
            #expect(engine.downloads == [fixture.workDirectory + "/input/report one.txt"])

            let expected: [String: (size: Int64, md5: String, type: String)] = [
                "\(base)/a.json": (12, "xgQX3hTxD8e0kVuo9iMlIg==", "application/json"),
                "\(base)/sub/dir/b.csv": (8, "NE/SMj3TPVwFi3zyfeAp6A==", "text/csv"),
                "\(base)/c": (5, "rHk41Az8IwfivzJdKOeITg==", "application/octet-stream"),
            ]
            for output in result.outputs.prefix(3) {
                let want = try #require(expected[output.name])
                #expect(output.size == want.size)
                #expect(output.md5 == want.md5)
                let properties = try await fixture.output.blob(output.name).properties()
                #expect(properties.contentLength == want.size)
                #expect(properties.contentType == want.type)
                #expect(properties.contentMD5.map { Data($0).base64EncodedString() } == want.md5)
                #expect(properties.metadata["blobflow_source_container"] == "input")
                #expect(properties.metadata["blobflow_source_blob"] == "incoming/2025/report%20one.txt")
                #expect(
                    properties.metadata["blobflow_source_etag"] == item.eTag.replacingOccurrences(of: "\"", with: "")
                )
                #expect(properties.metadata["blobflow_event_id"] == item.eventID)
            }
            #expect(try await fixture.outputText("\(base)/sub/dir/b.csv") == "x,y\n1,2\n")

            let args = try #require(fixture.localText(fixture.workDirectory + "/args.txt"))
            #expect(args == "\(fixture.workDirectory)/input/report one.txt\n2025/report one.txt\nreport one\n")

            let log = try await fixture.outputText("\(base)/_blobflow.log")
            #expect(log.contains("hello from the app"))
            #expect(log.contains("a warning"))
            #expect(try await fixture.output.blob("\(base)/_blobflow.log").properties().contentType == "text/plain")

            let manifestBlob = fixture.output.blob("\(base)/_manifest.json")
            #expect(try await manifestBlob.properties().contentType == "application/json")
            let manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(try await manifestBlob.downloadBytes())) as? [String: Any]
            )
            let source = try #require(manifest["source"] as? [String: Any])
            #expect(source["container"] as? String == "input")
            #expect(source["blob"] as? String == "incoming/2025/report one.txt")
            #expect(source["eTag"] as? String == item.eTag.replacingOccurrences(of: "\"", with: ""))
            #expect(source["contentLength"] as? Int == 12)
            #expect(source["eventId"] as? String == item.eventID)
            let outputs = try #require(manifest["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == result.outputs.prefix(3).map(\.name))
            #expect(outputs.map { $0["md5"] as? String } == result.outputs.prefix(3).map(\.md5))
            #expect(outputs.map { ($0["size"] as? Int).map(Int64.init) } == result.outputs.prefix(3).map(\.size))
            #expect(manifest["exitCode"] as? Int == 0)
            #expect(manifest["attempt"] as? Int == 2)
            let timings = try #require(manifest["timings"] as? [String: Any])
            #expect(Set(timings.keys) == ["download", "process", "upload"])
            let completedAt = try #require(manifest["completedAt"] as? String)
            #expect(
                try Date(completedAt, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) <= Date()
            )
        }
    }

    @Test("exit 65 is permanent (bad input)")
    func exit65() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "echo 'cannot parse the input'; exit 65")
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: fixture.engine())
            let item = try await fixture.upload("bad.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-exit-65")
            #expect(failure.message.contains("cannot parse the input"))
        }
    }

    @Test("exit 75 is retryable (temporary failure)")
    func exit75() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "exit 75")
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: fixture.engine())
            let item = try await fixture.upload("later.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "app-exit-75")
        }
    }

    @Test("another exit status is retryable, with the end of the log in the message and nothing uploaded")
    func otherExit() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script(
                "app.sh",
                """
                i=1
                while [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); done
                echo "the real problem" >&2
                echo partial > "$BLOBFLOW_OUTPUT_DIR/partial.txt"
                exit 3
                """
            )
            let engine = fixture.engine()
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: engine)
            let item = try await fixture.upload("crash.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "app-exit-3")
            #expect(failure.message.contains("the real problem"))
            #expect(failure.message.contains("line 40"))
            #expect(!failure.message.contains("line 5\n"))
            #expect(engine.uploads.isEmpty)
        }
    }

    @Test("an app killed by a signal is retryable")
    func signalled() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "kill -9 $$")
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: fixture.engine())
            let item = try await fixture.upload("killed.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "app-signal-9")
        }
    }

    @Test("cancellation stops the app and its children", arguments: [false, true])
    func cancellation(ignoresSIGTERM: Bool) async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script(
                "app.sh",
                """
                \(ignoresSIGTERM ? "trap '' TERM" : "")
                echo $$ > app.pid.tmp && mv app.pid.tmp app.pid
                sleep 600 &
                echo $! > child.pid.tmp && mv child.pid.tmp child.pid
                wait
                """
            )
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: fixture.engine())
            let item = try await fixture.upload("slow.txt")
            let task = Task { try await fixture.run(processor, item) }
            let appPID = fixture.workDirectory + "/app.pid"
            let childPID = fixture.workDirectory + "/child.pid"
            let startDeadline = ContinuousClock.now + .seconds(60)
            while !(FileManager.default.fileExists(atPath: appPID) && FileManager.default.fileExists(atPath: childPID)),
                ContinuousClock.now < startDeadline
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            let pids = try [appPID, childPID].map { path in
                try #require(
                    fixture.localText(path).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                )
            }
            #expect(pids.allSatisfy { !processEnded($0) })

            let cancelledAt = ContinuousClock.now
            task.cancel()
            let outcome = await task.result
            let elapsed = ContinuousClock.now - cancelledAt
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(elapsed < .seconds(180), "stopping took \(elapsed)")  // generous: only a hang should fail it
            if ignoresSIGTERM { #expect(elapsed >= .milliseconds(900)) }
            let goneDeadline = ContinuousClock.now + .seconds(10)
            while !pids.allSatisfy(processEnded), ContinuousClock.now < goneDeadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            for pid in pids { #expect(processEnded(pid), "process \(pid) is still running") }
            #expect(fixture.localText(fixture.workDirectory + "/app.log")?.contains("cancelled") == true)
        }
    }

    @Test("a blob deleted after its event is a permanent blob-not-found")
    func missingBlob() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "exit 0")
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: fixture.engine())
            let item = fixture.item("never-uploaded.txt", eTag: "\"0x8DD0000000000000\"", contentLength: 3)
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "blob-not-found")
        }
    }

    @Test("a blob replaced after its event is a permanent blob-replaced, and the new content is not fetched")
    func replacedBlob() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "exit 0")
            let engine = fixture.engine()
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: engine)
            let item = try await fixture.upload("changing.txt", Array("first".utf8))
            _ = try await fixture.upload("changing.txt", Array("second".utf8))
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "blob-replaced")
            #expect(failure.message.contains("replaced after the event was raised"))
            #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/input/changing.txt"))
        }
    }

    @Test("the transfer option alone: a required eTag that no longer matches fails with 412")
    func requiredETagOption() async throws {
        try await ProcessorFixture.with { fixture in
            let item = try await fixture.upload("pinned.txt", Array("first".utf8))
            let newETag = try await fixture.input.blob("pinned.txt").upload(Array("second".utf8))
            var options = TransferOptions()
            options.requiredETag = item.eTag
            let target = fixture.folder + "/pinned"
            await #expect {
                _ = try await fixture.input.blob("pinned.txt").download(to: target, options: options)
            } throws: { error in
                guard let error = error as? StorageError else { return false }
                return error.isConditionNotMet && error.status == 412
                    && error.message.hasPrefix("the blob was replaced after the event was raised")
            }
            options.requiredETag = newETag
            let result = try await fixture.input.blob("pinned.txt").download(to: target, options: options)
            #expect(result.properties.eTag == newETag)
            #expect(fixture.localText(target) == "second")
        }
    }

    @Test(
        "hostile blob names are staged inside the work folder",
        arguments: ["../../etc/x", "a/b/../../../x", "dir/..", "tricky\u{1}\\name"]
    )
    func hostileNames(name: String) async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "cp \"$1\" \"$BLOBFLOW_OUTPUT_DIR/copy\"")
            // The development server, like Azure, resolves `..` in URLs, so such a blob cannot be
            // stored: the engine serves the event's name from an ordinary blob.
            let real = try await fixture.upload("hostile-source.txt")
            let engine = fixture.engine(redirects: [name: "hostile-source.txt"])
            let processor = CommandProcessor(
                configuration: fixture.configuration(app, arguments: ["{input}"]),
                engine: engine
            )
            let item = fixture.item(name, eTag: real.eTag, contentLength: real.contentLength)
            let result = try await fixture.run(processor, item)

            let inputFolder = fixture.workDirectory + "/input/"
            let destination = try #require(engine.downloads.first)
            let resolved = URL(fileURLWithPath: destination).standardizedFileURL.path
            #expect(resolved.hasPrefix(inputFolder))
            #expect(!resolved.dropFirst(inputFolder.count).contains("/"))
            #expect(FileManager.default.fileExists(atPath: resolved))
            #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/etc/x"))
            #expect(!FileManager.default.fileExists(atPath: fixture.workDirectory + "/x"))
            for output in result.outputs {
                #expect(!output.name.split(separator: "/").contains { $0 == ".." || $0 == "." })
                #expect(!output.name.hasPrefix("/"))
            }
            #expect(result.outputs.count == 3)
            #expect(result.outputs.first?.size == real.contentLength)
        }
    }

    @Test(
        "a symbolic link or fifo anywhere in the output refuses the whole output",
        arguments: ["ln -s /etc/passwd output/ok/deeper/leak", "mkfifo output/ok/deeper/leak"]
    )
    func unsafeOutput(command: String) async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script(
                "app.sh",
                """
                set -e
                mkdir -p output/ok/deeper
                printf x > output/ok/file.txt
                \(command)
                """
            )
            let engine = fixture.engine()
            let processor = CommandProcessor(configuration: fixture.configuration(app), engine: engine)
            let item = try await fixture.upload("links.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "unsafe-output")
            #expect(failure.message.contains("output/ok/deeper/leak"))
            #expect(engine.uploads.isEmpty)
        }
    }

    @Test("an app that writes nothing succeeds with an empty manifest; with outputs required it fails")
    func noOutputs() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "echo nothing to write")
            var configuration = fixture.configuration(app)
            configuration.outputPrefix = ""
            let processor = CommandProcessor(configuration: configuration, engine: fixture.engine())
            let item = try await fixture.upload("empty.txt")
            let result = try await fixture.run(processor, item)
            #expect(result.outputs.map(\.name) == ["empty.txt/_blobflow.log", "empty.txt/_manifest.json"])
            let manifest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try await fixture.output.blob("empty.txt/_manifest.json").downloadBytes())
                ) as? [String: Any]
            )
            #expect((manifest["outputs"] as? [Any])?.isEmpty == true)

            configuration.requireOutputs = true
            let strict = CommandProcessor(configuration: configuration, engine: fixture.engine())
            let failure = try #require(await fixture.failure { try await fixture.run(strict, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "no-outputs")
        }
    }

    @Test("a resumed attempt skips the steps an earlier one finished")
    func resume() async throws {
        try await ProcessorFixture.with { fixture in
            let counter = fixture.folder + "/runs"
            let app = try fixture.script(
                "app.sh",
                """
                n=$(cat "$COUNTER" 2>/dev/null || echo 0)
                echo $((n + 1)) > "$COUNTER"
                printf done > "$BLOBFLOW_OUTPUT_DIR/result.txt"
                """
            )
            var configuration = fixture.configuration(app)
            configuration.environment = ["COUNTER": counter]
            let engine = fixture.engine()
            let processor = CommandProcessor(configuration: configuration, engine: engine)
            let item = try await fixture.upload("resumable.txt")
            let first = try await fixture.run(processor, item)
            #expect(fixture.localText(counter) == "1\n")

            // The blob is gone: only a kept download can succeed now.
            try await fixture.input.blob("resumable.txt").deleteIfExists()
            let steps = StepLog()
            let second = try await fixture.run(processor, item, resumeFrom: .processed, attempt: 2, steps: steps)
            #expect(fixture.localText(counter) == "1\n")
            #expect(second.outputs.map(\.name) == first.outputs.map(\.name))
            #expect(steps.reached == ["uploaded"])
            #expect(engine.downloads.count == 1)

            let third = try await fixture.run(processor, item, resumeFrom: .downloaded, attempt: 3)
            #expect(fixture.localText(counter) == "2\n")
            #expect(third.outputs.map(\.name) == first.outputs.map(\.name))
            #expect(engine.downloads.count == 1)

            // Without a checkpoint, the download runs again (and now fails: the blob is gone).
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item, attempt: 4) })
            #expect(failure.reason == "blob-not-found")
        }
    }

    @Test("the app's environment has no credentials and describes the job")
    func environment() async throws {
        try await ProcessorFixture.with { fixture in
            let app = try fixture.script("app.sh", "env > \"$BLOBFLOW_OUTPUT_DIR/env.txt\"")
            var configuration = fixture.configuration(app)
            configuration.inheritedEnvironment = [
                "PATH": "/usr/bin:/bin", "HOME": fixture.folder, "LANG": "C.UTF-8",
                "AZURE_STORAGE_KEY": "secret-1", "AZURE_STORAGE_CONNECTION_STRING": "secret-2",
                "AZURE_STORAGE_SAS_TOKEN": "secret-3",
                "IDENTITY_HEADER": "secret-4", "AZURE_CLIENT_SECRET": "secret-5", "MY_DB_PASSWORD": "secret-6",
                "GITHUB_TOKEN": "secret-7",
                "api_key": "secret-8", "BLOBFLOW_STORAGE_CONNECTION_STRING": "secret-9",
            ]
            configuration.environment = ["APP_MODE": "test"]
            configuration.blobEndpoint = fixture.blobEndpoint + "/?sv=2025-05-05&sig=secret-sig"
            let processor = CommandProcessor(configuration: configuration, engine: fixture.engine())
            let item = try await fixture.upload("dir/env check.txt")
            _ = try await fixture.run(processor, item)
            let text = try await fixture.outputText("dir/env check.txt/env.txt")
            var variables: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            #expect(!text.contains("secret"))
            #expect(variables["HOME"] == fixture.folder)
            #expect(variables["LANG"] == "C.UTF-8")
            #expect(variables["APP_MODE"] == "test")
            #expect(variables["BLOBFLOW_INPUT"] == fixture.workDirectory + "/input/env check.txt")
            #expect(variables["BLOBFLOW_OUTPUT_DIR"] == fixture.workDirectory + "/output")
            #expect(variables["BLOBFLOW_BLOB_NAME"] == "dir/env check.txt")
            #expect(variables["BLOBFLOW_BLOB_URL"] == fixture.blobEndpoint + "/input/dir/env%20check.txt")
            #expect(variables["BLOBFLOW_EVENT_ID"] == item.eventID)
            #expect(variables["BLOBFLOW_CONTENT_TYPE"] == "text/plain")
            #expect(variables["PWD"] == fixture.workDirectory)

            configuration.inheritEnvironment = false
            let bare = CommandProcessor(configuration: configuration, engine: fixture.engine())
            _ = try await fixture.run(bare, item)
            let bareText = try await fixture.outputText("dir/env check.txt/env.txt")
            #expect(!bareText.contains("HOME="))
            #expect(bareText.contains("APP_MODE=test"))
        }
    }

    @Test(
        "a program that cannot be started is permanent",
        arguments: [["/nonexistent/app"], ["no-such-program-blobflow"], ["{input}"]]
    )
    func notStartable(command: [String]) async throws {
        try await ProcessorFixture.with { fixture in
            var configuration = fixture.configuration("unused")
            configuration.command = command
            let processor = CommandProcessor(configuration: configuration, engine: fixture.engine())
            let item = try await fixture.upload("whatever.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-not-startable")
        }
    }
}
