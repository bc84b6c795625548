import BlobEvents
import Testing

/// Containers, prefixes, output locations, blob names and the endpoint check.
@Suite struct MessageDecoderFilterTests {
    let filter = EventFixtures.filter

    private func decode(
        _ text: String,
        prefix: String = "",
        excluded: [(container: String, prefix: String)]? = nil
    ) -> DecodedMessage {
        var filter = self.filter
        filter.prefix = prefix
        if let excluded { filter.excludedPrefixes = excluded }
        return MessageDecoder.decode(text, filter: filter)
    }

    // MARK: Prefixes and output locations

    @Test func prefixSelectsInput() {
        #expect(self.decode(EventFixtures.event(name: "scans/2026/a.tif"), prefix: "scans/").outcome == "work")
        #expect(self.decode(EventFixtures.event(name: "scans"), prefix: "scans/").outcome == "skip:outside-prefix")
        #expect(
            self.decode(EventFixtures.event(name: "copied/report.pdf"), prefix: "scans/").outcome
                == "skip:outside-prefix"
        )
        #expect(
            self.decode(EventFixtures.event(name: "Scans/a.tif"), prefix: "scans/").outcome == "skip:outside-prefix"
        )
        #expect(self.decode(EventFixtures.event(name: "scansX/a.tif"), prefix: "scans").outcome == "work")
    }

    @Test func outputLocationInsideTheInputIsNeverWork() {
        let excluded = [(container: "input", prefix: "results/")]
        let decoded = self.decode(EventFixtures.event(name: "results/a.json"), excluded: excluded)
        #expect(decoded.skipCode == "output-location")
        #expect(self.decode(EventFixtures.event(name: "results-old/a.json"), excluded: excluded).outcome == "work")
        #expect(
            self.decode(EventFixtures.event(name: "results/a.json"), prefix: "results/", excluded: excluded).skipCode
                == "output-location"
        )
    }

    @Test func outputContainerIsAnOutputNotJustAnotherContainer() {
        let event = EventFixtures.event(container: "output", name: "scans/a.tif/result.json")
        #expect(self.decode(event).skipCode == "output-location")
        #expect(self.decode(event, excluded: []).skipCode == "other-container")
        #expect(self.decode(event, excluded: [(container: "output", prefix: "other/")]).skipCode == "other-container")
    }

    @Test func otherContainerIsSkippedWithItsName() {
        let decoded = self.decode(EventFixtures.event(container: "archive", name: "report.csv"))
        guard case .skip(let reason, _, let blob) = decoded else {
            Issue.record("\(MessageDecoder.describe(decoded))")
            return
        }
        #expect(reason.code == "other-container")
        #expect(reason.message.contains("\"archive\""))
        #expect(blob == "archive/report.csv")
    }

    // MARK: Names

    @Test(arguments: [
        "données/été/写真 📷.tif", "a b/c+d=e&f?g#h.txt", "emoji/👩‍👩‍👧‍👦.bin", "\u{202E}gnp.exe", "日本語/ファイル", "tab\there", "..a",
        "a..b", "...", "a/.hidden",
        "a/..b/c", "~/x", "C:x", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", String(repeating: "x", count: 1024),
    ])
    func unusualButSafeNamesAreWorkAndKeptExactly(name: String) throws {
        let item = try #require(self.decode(EventFixtures.event(name: name)).workItem)
        #expect(item.blobName.utf8.elementsEqual(name.utf8))
        #expect(item.versionKey.utf8.elementsEqual("contosodata/input/\(name)@0x8DCB21A4F7E1C2B".utf8))
    }

    /// Names are never percent-decoded: a blob literally called `100%25.txt` is that blob.
    @Test(arguments: ["100%25.txt", "a%2Fb", "%2e%2e/%2e%2e/etc/passwd", "%00", "%", "%zz", "a+b%20c"])
    func percentLookingNamesAreLiteral(name: String) throws {
        let item = try #require(self.decode(EventFixtures.event(name: name)).workItem)
        #expect(item.blobName == name)
        #expect(item.blobURL.contains("%25"))
    }

    @Test func precomposedAndDecomposedNamesAreDifferentBlobs() throws {
        let composed = "caf\u{E9}.txt"
        let decomposed = "cafe\u{301}.txt"
        let first = try #require(self.decode(EventFixtures.event(name: composed)).workItem)
        let second = try #require(self.decode(EventFixtures.event(name: decomposed)).workItem)
        #expect(!first.blobName.utf8.elementsEqual(second.blobName.utf8))
        #expect(self.decode(EventFixtures.event(name: decomposed), prefix: "caf\u{E9}").skipCode == "outside-prefix")
        #expect(self.decode(EventFixtures.event(name: composed), prefix: "caf\u{E9}").outcome == "work")
    }

    @Test(arguments: [
        "../x", "a/../b", "a/..", "..", "../../etc/passwd", "/etc/passwd", "/", "a//b", "//", "a\\b", "..\\..\\x",
        "a\u{0}b", "./a", "a/./b", "a/.",
        ".", "a//", "../",
    ])
    func unsafeNamesArePoison(name: String) throws {
        let poison = try #require(self.decode(EventFixtures.event(name: name)).poison, "\(name)")
        #expect(poison.code == "unsafe-name")
        #expect(!poison.message.contains("\u{0}"))
    }

    @Test func unsafeNamesOutsideTheInputAreSkippedNotPoison() {
        #expect(self.decode(EventFixtures.event(container: "archive", name: "../x")).skipCode == "other-container")
        #expect(self.decode(EventFixtures.event(container: "output", name: "../x")).skipCode == "output-location")
    }

    @Test func unsafeNamesArePoisonEvenUnderThePrefix() {
        #expect(
            self.decode(EventFixtures.event(name: "scans/../../etc/passwd"), prefix: "scans/").poison?.code
                == "unsafe-name"
        )
    }

    @Test(arguments: ["dir/", "a/b/", "scans/2026/"])
    func directoryMarkersAreSkipped(name: String) {
        let event = EventFixtures.event { envelope, data in
            envelope["subject"] = "/blobServices/default/containers/input/blobs/" + name
            data["contentLength"] = 0
        }
        #expect(self.decode(event).skipCode == "directory-or-placeholder")
    }

    // MARK: Endpoint check

    @Test(arguments: [
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.windows.net/input/a.txt", true),
        ("contosodata.blob.core.windows.net", "https://ContosoData.Blob.Core.Windows.Net/input/a.txt", true),
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.windows.net:443/input/a.txt", true),
        ("contosodata.blob.core.windows.net", "https://contosodata.dfs.core.windows.net/input/a.txt", true),
        ("https://contosodata.blob.core.windows.net/", "https://contosodata.blob.core.windows.net/input/a.txt", true),
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.windows.net:8443/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://evil.example.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://otheraccount.blob.core.windows.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.windows.net.evil.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.windows.net@evil.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://contosodata.queue.core.windows.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "https://contosodata.blob.core.chinacloudapi.cn/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "ftp://contosodata.blob.core.windows.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "contosodata.blob.core.windows.net/input/a.txt", false),
        ("contosodata.blob.core.windows.net", "", false),
        ("127.0.0.1:10000", "http://127.0.0.1:10000/contosodata/input/a.txt", true),
        ("127.0.0.1:10000", "http://127.0.0.1:10000/devstoreaccount1/input/a.txt", false),
        ("127.0.0.1:10000", "http://127.0.0.1:10001/contosodata/input/a.txt", false),
        ("127.0.0.1:10000", "http://127.0.0.1:10000", false),
        ("localhost:10000", "http://LOCALHOST:10000/contosodata/input/a.txt", true),
        ("[::1]:10000", "http://[::1]:10000/contosodata/input/a.txt", true),
        ("[::1]:10000", "http://[::1]:10000/other/input/a.txt", false),
    ])
    func urlMustNameTheConfiguredEndpoint(endpoint: String, url: String, matches: Bool) {
        var filter = self.filter
        filter.blobEndpointHost = endpoint
        let event = EventFixtures.event { _, data in data["url"] = url }
        let decoded = MessageDecoder.decode(event, filter: filter)
        #expect(
            decoded.outcome == (matches ? "work" : "poison:url-mismatch"),
            "\(endpoint) \(url): \(MessageDecoder.describe(decoded))"
        )
    }

    @Test func emptyEndpointSkipsTheCheckAndAnUnreadableOneMatchesNothing() {
        var filter = self.filter
        let event = EventFixtures.event { _, data in data["url"] = "https://evil.example.net/x" }
        filter.blobEndpointHost = ""
        #expect(MessageDecoder.decode(event, filter: filter).outcome == "work")
        filter.blobEndpointHost = "host:notaport"
        #expect(MessageDecoder.decode(event, filter: filter).poison?.code == "url-mismatch")
    }
}
