import Foundation

/// The sample app `blobflow dev` runs by default: a checksum report and an upper-cased copy of
/// each input. The same text is `scripts/sample-app/app.sh` in the repository (a test keeps the
/// two identical), so it can be read, changed and built into an image.
public enum SampleApp {
    /// The script, for `/bin/sh`.
    public static let script = #"""
        #!/bin/sh
        # blobflow's sample app: for each input file, a checksum report and an upper-cased copy.
        #
        # The contract every blobflow app follows: the input file's path and an empty output folder
        # arrive as arguments ({input} {output}) and as BLOBFLOW_INPUT / BLOBFLOW_OUTPUT_DIR; whatever
        # the app writes into the output folder is uploaded. Exit 0 on success, 65 when the input is
        # bad (dead-lettered at once, no retries), 75 to ask for a retry later.
        set -eu

        input="${1:-$BLOBFLOW_INPUT}"
        output="${2:-$BLOBFLOW_OUTPUT_DIR}"
        name="${BLOBFLOW_BLOB_NAME:-$(basename "$input")}"

        if [ ! -s "$input" ]; then
          echo "sample app: $name is empty; nothing to report (exit 65: bad input)" >&2
          exit 65
        fi

        bytes=$(wc -c < "$input" | tr -d ' ')
        lines=$(wc -l < "$input" | tr -d ' ')
        md5=$(md5sum "$input" | cut -d ' ' -f 1)
        sha256=$(sha256sum "$input" | cut -d ' ' -f 1)
        escaped=$(printf '%s' "$name" | sed 's/\\/\\\\/g; s/"/\\"/g')

        printf '{\n  "file": "%s",\n  "bytes": %s,\n  "lines": %s,\n  "md5": "%s",\n  "sha256": "%s"\n}\n' \
          "$escaped" "$bytes" "$lines" "$md5" "$sha256" > "$output/report.json"

        mkdir -p "$output/transformed"
        copy="$output/transformed/$(basename "$input").upper"
        tr '[:lower:]' '[:upper:]' < "$input" > "$copy"

        echo "sample app: $name: $bytes bytes, $lines lines, md5 $md5"

        """#

    /// Writes the script to `path` (replacing an older copy) and returns the command that runs it.
    public static func install(at path: String) throws -> [String] {
        try Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        return ["/bin/sh", path, "{input}", "{output}"]
    }
}
