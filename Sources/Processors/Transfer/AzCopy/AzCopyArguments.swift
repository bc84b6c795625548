/// The command lines of the transfers the engine runs.
enum AzCopyArguments {
    /// `azcopy copy URL --from-to BlobPipe`: one blob to stdout, in one streamed GET that azcopy
    /// resumes on the same version when a read breaks. blobflow checks length and MD5 itself.
    static func pipeDownload(from url: String) -> [String] {
        ["copy", url, "--from-to", "BlobPipe"] + AzCopyRunner.pipeArguments
    }

    /// `azcopy copy URL --from-to PipeBlob`: stdin to one block blob with the given content type
    /// (the service's default when nil) and metadata. azcopy stores no MD5 in pipe mode
    /// (`--put-md5` is for job mode); blobflow sets it afterwards.
    static func pipeUpload(to url: String, contentType: String?, metadata: String?, blockSizeMiB: Int?) -> [String] {
        var arguments = ["copy", url, "--from-to", "PipeBlob"]
        if let contentType { arguments += ["--content-type", contentType] }
        if let metadata { arguments += ["--metadata", metadata] }
        return arguments + Self.blockSize(blockSizeMiB) + AzCopyRunner.pipeArguments
    }

    /// `--metadata`'s value, `k=v;k2=v2` in name order; nil for no metadata. azcopy has no way to
    /// escape `;` or `=`, so names must be C# identifiers (as Azure requires) and values printable
    /// ASCII without `;` or `=` (percent-encode them first); anything else is refused.
    static func metadata(_ metadata: [String: String]) throws(AzCopyError) -> String? {
        guard !metadata.isEmpty else { return nil }
        var pairs: [String] = []
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard Self.isIdentifier(name) else {
                throw AzCopyError(
                    .invalidRequest,
                    message: "metadata name '\(Self.shown(name))' is not a C# identifier, as Azure requires"
                )
            }
            guard value.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) && $0 != ";" && $0 != "=" }) else {
                throw AzCopyError(
                    .invalidRequest,
                    message:
                        "metadata value of '\(name)' must be printable ASCII without ';' or '=' (percent-encode it) to pass through azcopy's --metadata"
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
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    private static func shown(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.prefix(64).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }
            )
        )
    }
}
