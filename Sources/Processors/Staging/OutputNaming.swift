/// How output blobs are named after their source: `OUTPUT_PREFIX/<source name without the input
/// prefix>/<path under output/>`, joined with single slashes and without a leading one.
enum OutputNaming {
    /// The name of the log blob under a source's output folder.
    static let logName = "_blobflow.log"
    /// The name of the manifest blob, written last, under a source's output folder.
    static let manifestName = "_manifest.json"

    /// `blobName` without `inputPrefix` (when it starts with it) and without leading slashes: the
    /// `{name}` placeholder, and the middle of every output name.
    static func relativeName(of blobName: String, inputPrefix: String) -> String {
        var name = Substring(blobName)
        if !inputPrefix.isEmpty, name.utf8.starts(with: inputPrefix.utf8) {
            name = Substring(String(decoding: name.utf8.dropFirst(inputPrefix.utf8.count), as: UTF8.self))
        }
        while name.hasPrefix("/") { name = name.dropFirst() }
        return name.isEmpty ? SafeFileName.forBlob(blobName) : String(name)
    }

    /// The output folder for one source: `outputPrefix/relativeName`.
    static func base(outputPrefix: String, relativeName: String) -> String {
        Self.join([outputPrefix, relativeName])
    }

    /// Joins parts with single slashes, dropping empty segments; `.` and `..` segments become `_`
    /// so a name cannot climb out of the output prefix when a URL is normalized.
    static func join(_ parts: [String]) -> String {
        var segments: [String] = []
        for part in parts {
            for segment in part.split(separator: "/", omittingEmptySubsequences: true) {
                segments.append(segment == "." || segment == ".." ? "_" : String(segment))
            }
        }
        return segments.joined(separator: "/")
    }
}
