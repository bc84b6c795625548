/// A local file name for a blob: the last segment of its name, made harmless.
///
/// Blob names are arbitrary strings and come from events. Only the last `/` segment is used, so a
/// name such as `../../etc/x` is staged as `x` inside the input folder; `.`, `..` and empty
/// segments become `_`, as do NUL, control characters and backslashes; very long names are
/// shortened (keeping a short extension) to fit the file system's limit.
enum SafeFileName {
    /// The longest name kept, in UTF-8 bytes (file systems allow 255).
    static let maximumLength = 200

    /// The staging file name for `blobName`.
    static func forBlob(_ blobName: String) -> String {
        let last = blobName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        var name = String(
            String.UnicodeScalarView(
                last.unicodeScalars.map { scalar in
                    scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\\" ? "_" : scalar
                }
            )
        )
        if name.isEmpty || name == "." || name == ".." { name = "_" }
        return Self.shortened(name)
    }

    /// The name without its last extension (`report.tar.gz` -> `report.tar`); a leading dot does
    /// not start an extension.
    static func stem(of fileName: String) -> String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return fileName }
        return String(fileName[..<dot])
    }

    private static func shortened(_ name: String) -> String {
        guard name.utf8.count > Self.maximumLength else { return name }
        let stem = Self.stem(of: name)
        let fileExtension = String(name.dropFirst(stem.count))
        let keptExtension = fileExtension.utf8.count <= 16 ? fileExtension : ""
        var shortStem = ""
        for character in stem {
            if shortStem.utf8.count + character.utf8.count + keptExtension.utf8.count > Self.maximumLength { break }
            shortStem.append(character)
        }
        return shortStem.isEmpty ? "_" + keptExtension : shortStem + keptExtension
    }
}
