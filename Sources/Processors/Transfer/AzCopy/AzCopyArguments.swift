/// The command lines of the two transfers the engine runs.
enum AzCopyArguments {
    /// `azcopy copy URL PATH`: one blob to one local file, checked against the blob's Content-MD5
    /// when it has one.
    static func download(from url: String, to path: String, checkMD5: Bool, blockSizeMiB: Int?) -> [String] {
        ["copy", url, path, "--from-to", "BlobLocal", "--check-md5", checkMD5 ? "FailIfDifferent" : "NoCheck", "--check-length=true"]
            + Self.blockSize(blockSizeMiB) + AzCopyRunner.commonArguments
    }

    /// `azcopy copy PATH URL`: one local file to one block blob, storing its MD5, with the given
    /// content type (none guessed when nil) and metadata.
    static func upload(from path: String, to url: String, contentType: String?, metadata: String?, blockSizeMiB: Int?) -> [String] {
        var arguments = ["copy", path, url, "--from-to", "LocalBlob", "--blob-type", "BlockBlob", "--put-md5"]
        if let contentType {
            arguments += ["--content-type", contentType]
        } else {
            arguments.append("--no-guess-mime-type")
        }
        if let metadata { arguments += ["--metadata", metadata] }
        return arguments + Self.blockSize(blockSizeMiB) + AzCopyRunner.commonArguments
    }

    /// `--metadata`'s value, `k=v;k2=v2` in name order; nil for no metadata. azcopy has no way to
    /// escape `;` or `=`, so names must be C# identifiers (as Azure requires) and values printable
    /// ASCII without `;` or `=` (percent-encode them first); anything else is refused.
    static func metadata(_ metadata: [String: String]) throws(AzCopyError) -> String? {
        guard !metadata.isEmpty else { return nil }
        var pairs: [String] = []
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard Self.isIdentifier(name) else {
                throw AzCopyError(.invalidRequest, message: "metadata name '\(Self.shown(name))' is not a C# identifier, as Azure requires")
            }
            guard value.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) && $0 != ";" && $0 != "=" }) else {
                throw AzCopyError(
                    .invalidRequest,
                    message: "metadata value of '\(name)' must be printable ASCII without ';' or '=' (percent-encode it) to pass through azcopy's --metadata"
                )
            }
            pairs.append(name + "=" + value)
        }
        return pairs.joined(separator: ";")
    }

    private static func blockSize(_ mebibytes: Int?) -> [String] {
        mebibytes.map { ["--block-size-mb", String($0)] } ?? []
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    private static func shown(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
