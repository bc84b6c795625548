import StorageCore
import Testing

@Suite struct PercentEncodingTests {
    @Test func decodesAndEncodesBlobNames() {
        #expect(PercentEncoding.decode("dir%2Fa%20b.txt") == "dir/a b.txt")
        #expect(PercentEncoding.encode("dir/a b ü.txt", keepSlash: true) == "dir/a%20b%20%C3%BC.txt")
        #expect(PercentEncoding.decode("%zz") == nil)
    }

    @Test func splitsQueryItems() {
        let items = PercentEncoding.queryItems("comp=list&prefix=a%2Fb&sig=x%2By%3D&empty=")
        #expect(items.map(\.name) == ["comp", "prefix", "sig", "empty"])
        #expect(items.map(\.value) == ["list", "a/b", "x+y=", ""])
    }

    /// Blob names as they go into a URL path or a metadata value: every byte but the RFC 3986
    /// unreserved characters and `/` escaped, in upper-case hex, UTF-8 byte by byte.
    @Test(arguments: [
        ("dir/Report 1.csv", "dir/Report%201.csv"),
        ("résumé/ü.txt", "r%C3%A9sum%C3%A9/%C3%BC.txt"),
        ("e\u{301}", "e%CC%81"),
        ("100%", "100%25"),
        ("%2F", "%252F"),
        ("a+b", "a%2Bb"),
        ("c#d?e=f&g", "c%23d%3Fe%3Df%26g"),
        ("a//b/", "a//b/"),
        ("~-._", "~-._"),
        ("emoji 😀", "emoji%20%F0%9F%98%80"),
    ])
    func encodesBlobNamesKeepingSlashes(name: String, expected: String) {
        #expect(PercentEncoding.encode(name, keepSlash: true) == expected)
        #expect(PercentEncoding.decode(expected) == name)
    }

    @Test func encodesSlashesOutsidePaths() {
        #expect(PercentEncoding.encode("a/b c") == "a%2Fb%20c")
    }
}
