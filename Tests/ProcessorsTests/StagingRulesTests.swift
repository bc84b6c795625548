import Processing
import Testing

@testable import Processors

@Suite("Naming, substitution and environment rules")
struct StagingRulesTests {
    @Test(
        "staging file names stay one harmless segment",
        arguments: [
            ("data/report.csv", "report.csv"),
            ("../../etc/x", "x"),
            ("a/b/../../../x", "x"),
            ("dir/..", "_"),
            ("dir/.", "_"),
            ("dir/", "_"),
            ("", "_"),
            ("..", "_"),
            ("/etc/passwd", "passwd"),
            ("bad\u{0}name\u{1F}\u{7F}", "bad_name__"),
            ("back\\slash", "back_slash"),
            ("...", "..."),
        ]
    )
    func safeFileName(blobName: String, expected: String) {
        #expect(SafeFileName.forBlob(blobName) == expected)
    }

    @Test("very long names are shortened, keeping the extension")
    func longName() {
        let name = SafeFileName.forBlob("folder/" + String(repeating: "é", count: 300) + ".parquet")
        #expect(name.utf8.count <= SafeFileName.maximumLength)
        #expect(name.hasSuffix(".parquet"))
    }

    @Test("stems drop only the last extension")
    func stems() {
        #expect(SafeFileName.stem(of: "report.tar.gz") == "report.tar")
        #expect(SafeFileName.stem(of: "README") == "README")
        #expect(SafeFileName.stem(of: ".profile") == ".profile")
    }

    @Test("output names join with single slashes and never climb")
    func outputNames() {
        #expect(OutputNaming.relativeName(of: "incoming/a/b.csv", inputPrefix: "incoming/") == "a/b.csv")
        #expect(OutputNaming.relativeName(of: "incoming/a/b.csv", inputPrefix: "incoming") == "a/b.csv")
        #expect(OutputNaming.relativeName(of: "other/a.csv", inputPrefix: "incoming/") == "other/a.csv")
        #expect(OutputNaming.relativeName(of: "incoming/", inputPrefix: "incoming/") == "_")
        #expect(OutputNaming.join(["", "a/b.csv", "x.json"]) == "a/b.csv/x.json")
        #expect(OutputNaming.join(["/out/", "/a//b.csv/", "sub/x.json"]) == "out/a/b.csv/sub/x.json")
        #expect(OutputNaming.join(["out", "../../etc/x", "f"]) == "out/_/_/etc/x/f")
    }

    @Test("placeholders are substituted once, inside arguments, unknown ones kept")
    func placeholders() {
        let template = ArgumentTemplate(values: [
            "input": "/w/input/{output}.txt", "output": "/w/output", "name": "a b; rm -rf /", "stem": "x",
        ])
        #expect(template.substitute("--in={input}") == "--in=/w/input/{output}.txt")
        #expect(template.substitute("{output}/{stem}.json") == "/w/output/x.json")
        #expect(template.substitute("{name}") == "a b; rm -rf /")
        #expect(template.substitute("{unknown} {} {") == "{unknown} {} {")
        #expect(template.substitute("{{input}}") == "{/w/input/{output}.txt}")
    }

    @Test("inherited credentials are stripped; configured and job variables are kept")
    func environment() {
        let environment = AppEnvironment.build(
            inherited: [
                "PATH": "/bin", "AZURE_STORAGE_KEY": "k", "SomeApiKey": "k", "DB_PASSWORD": "p", "HOME": "/root",
                "AZURE_CLIENT_ID": "id",
            ],
            inherit: true,
            configured: ["APP_TOKEN": "chosen by the operator"],
            job: ["BLOBFLOW_INPUT": "/w/input/x"]
        )
        #expect(
            environment == [
                "PATH": "/bin", "HOME": "/root", "AZURE_CLIENT_ID": "id", "APP_TOKEN": "chosen by the operator",
                "BLOBFLOW_INPUT": "/w/input/x",
            ]
        )
        let bare = AppEnvironment.build(inherited: ["HOME": "/root"], inherit: false, configured: [:], job: [:])
        #expect(bare == ["PATH": AppEnvironment.defaultSearchPath])
    }

    @Test("content types come from a small table")
    func contentTypes() {
        #expect(ContentTypes.guess(forFileName: "a/b.JSON") == "application/json")
        #expect(ContentTypes.guess(forFileName: "data.parquet") == "application/vnd.apache.parquet")
        #expect(ContentTypes.guess(forFileName: "archive.tar.gz") == "application/gzip")
        #expect(ContentTypes.guess(forFileName: "noextension") == "application/octet-stream")
        #expect(ContentTypes.guess(forFileName: ".hidden") == "application/octet-stream")
        #expect(ContentTypes.guess(forFileName: "x.unknown") == "application/octet-stream")
    }

    @Test("wait statuses decode into exits and signals")
    func terminations() {
        #expect(AppTermination(waitStatus: 0) == .exited(0))
        #expect(AppTermination(waitStatus: 65 << 8) == .exited(65))
        #expect(AppTermination(waitStatus: 9) == .signalled(9))
        #expect(AppTermination.exited(0).failure(logTail: "") == nil)
        #expect(AppTermination.exited(65).failure(logTail: "")?.kind == .permanent)
        #expect(AppTermination.exited(75).failure(logTail: "")?.kind == .retryable)
        #expect(AppTermination.signalled(15).failure(logTail: "x")?.reason == "app-signal-15")
    }
}
