/// The content type stored with an output blob, guessed from its extension.
enum ContentTypes {
    private static let byExtension: [String: String] = [
        "json": "application/json",
        "txt": "text/plain",
        "log": "text/plain",
        "csv": "text/csv",
        "md": "text/markdown",
        "html": "text/html",
        "htm": "text/html",
        "xml": "application/xml",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "pdf": "application/pdf",
        "gz": "application/gzip",
        "zip": "application/zip",
        "parquet": "application/vnd.apache.parquet",
    ]

    /// The type for `fileName`; `application/octet-stream` for anything not in the table.
    static func guess(forFileName fileName: String) -> String {
        let last = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let stem = SafeFileName.stem(of: last)
        guard stem.count < last.count else { return "application/octet-stream" }
        return Self.byExtension[String(last.dropFirst(stem.count + 1)).lowercased()] ?? "application/octet-stream"
    }
}
