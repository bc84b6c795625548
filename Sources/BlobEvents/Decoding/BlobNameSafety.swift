/// Whether a blob name can be mapped to a path below a staging folder. Blob names are arbitrary
/// strings; a file system gives `..`, `.`, empty segments, a leading `/`, a backslash (on Windows
/// a separator) and NUL meanings of their own, so names using them are refused rather than rewritten
/// (rewriting could make two blobs share one local path).
enum BlobNameSafety {
    /// Why `name` is unsafe as a relative local path, or nil when it is safe. A single trailing `/`
    /// (a directory marker) is allowed; the caller skips those.
    static func problem(in name: String) -> String? {
        var path = Substring(name)
        if path.utf8.count > 1, path.utf8.last == UInt8(ascii: "/") { path = path.dropLast() }
        if path.utf8.first == UInt8(ascii: "/") { return "starts with '/'" }
        if path.utf8.contains(0) { return "contains a NUL character" }
        if path.utf8.contains(UInt8(ascii: "\\")) { return "contains a backslash" }
        for segment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return "has an empty path segment ('//')" }
            if segment.elementsEqual("..".utf8) { return "has a '..' path segment" }
            if segment.elementsEqual(".".utf8) { return "has a '.' path segment" }
        }
        return nil
    }
}
