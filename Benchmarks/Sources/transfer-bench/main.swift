// Uploads or downloads one blob with blobflow's transfer engine and prints a JSON line:
// {"direction": ..., "bytes": N, "seconds": S, "mb_per_s": X}
//
// transfer-bench upload|download CONNECTION_STRING CONTAINER BLOB FILE [BLOCK_MIB] [CONCURRENCY]
import Foundation
import StorageClient
import StorageHTTP

let arguments = CommandLine.arguments
guard arguments.count >= 6, ["upload", "download"].contains(arguments[1]) else {
    FileHandle.standardError.write(
        Data(
            "usage: transfer-bench upload|download CONNECTION_STRING CONTAINER BLOB FILE [BLOCK_MIB] [CONCURRENCY]\n"
                .utf8
        )
    )
    exit(2)
}
let direction = arguments[1]
var options = TransferOptions()
if arguments.count > 6, let mebibytes = Int64(arguments[6]) { options.blockSize = mebibytes * 1024 * 1024 }
if arguments.count > 7, let concurrency = Int(arguments[7]) { options.concurrency = concurrency }

let pipeline = StoragePipeline(account: try StorageAccount(connectionString: arguments[2]), http: try CurlTransport())
let blob = pipeline.container(arguments[3]).blob(arguments[4])
let started = ContinuousClock.now
let bytes: Int64
if direction == "upload" {
    bytes = try await blob.upload(from: arguments[5], options: options).bytes
} else {
    bytes = try await blob.download(to: arguments[5], options: options).properties.contentLength
}
let elapsed = ContinuousClock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(
    #"{"direction": "\#(direction)", "bytes": \#(bytes), "seconds": \#(seconds), "mb_per_s": \#(Double(bytes) / seconds / 1e6)}"#
)
