public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checkpoints, claims and dead-letter records for blob versions, kept in one folder that several
/// replicas share (an Azure Files share mounted over SMB, named by `BLOBFLOW_CHECKPOINT_DIR`).
///
/// Layout, all JSON, sorted keys, indented:
///
/// ```
/// records/ab/abcdef….json     one checkpoint per blob version (file name: SHA-256 of the key)
/// claims/abcdef….claim        who works on a version right now, until when
/// claims/abcdef….lock         held for milliseconds while a claim is renewed, released or taken over
/// deadletters/abcdef….json    why a version was given up, with the original message
/// corrupt/…                   damaged files moved aside, for a person to look at
/// ```
///
/// Every write is atomic (temporary file, `fsync`, rename, folder `fsync`) and every exclusive
/// step is an `O_EXCL` create or a rename, which SMB performs atomically; no byte-range locks are
/// used. Calls block on file I/O and are short; call them from async code directly.
public final class CheckpointStore: Sendable {
    /// The shared folder.
    public let directory: String
    /// This replica's identity, written into claims and records.
    public let replicaID: String

    let clock: @Sendable () -> Date
    let layout: StoreLayout

    /// Opens (and creates when missing) the folder tree under `directory`.
    ///
    /// - Parameters:
    ///   - directory: The shared checkpoint folder.
    ///   - replicaID: A name unique among running replicas (e.g. the container app replica name).
    ///   - clock: The time used for claim expiry and record timestamps; tests move it forwards.
    public init(
        directory: String,
        replicaID: String,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(CheckpointError) {
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
        self.replicaID = replicaID
        self.clock = clock
        self.layout = StoreLayout(root: directory)
        for folder in [self.layout.records, self.layout.claims, self.layout.deadLetters, self.layout.corrupt] {
            try FileSystem.makeDirectory(folder)
        }
    }

    /// A unique name for a temporary file next to `finalName`, hidden and ending in `.tmp` so
    /// scans skip it and pruning can remove one left by a crash.
    func temporaryName(for finalName: String) -> String {
        ".\(finalName).\(UUID().uuidString.lowercased()).tmp"
    }

    /// Writes `bytes` atomically at `path`, creating its fan-out folder on first use.
    func writeAtomically(_ bytes: [UInt8], to path: String, name: String, durable: Bool = true) throws(CheckpointError) {
        do {
            try FileSystem.writeAtomically(bytes, to: path, temporaryName: self.temporaryName(for: name), durable: durable)
        } catch where error.errno == ENOENT {
            try FileSystem.makeDirectory(String(path[..<path.lastIndex(of: "/")!]))
            try FileSystem.writeAtomically(bytes, to: path, temporaryName: self.temporaryName(for: name), durable: durable)
        }
    }
}

/// Where each kind of file lives.
struct StoreLayout: Sendable {
    let root: String

    var records: String { self.root + "/records" }
    var claims: String { self.root + "/claims" }
    var deadLetters: String { self.root + "/deadletters" }
    var corrupt: String { self.root + "/corrupt" }

    func recordPath(_ digest: String) -> String { "\(self.records)/\(digest.prefix(2))/\(digest).json" }
    func claimPath(_ digest: String) -> String { "\(self.claims)/\(digest).claim" }
    func lockPath(_ digest: String) -> String { "\(self.claims)/\(digest).lock" }
    func deadLetterPath(_ stem: String) -> String { "\(self.deadLetters)/\(stem).json" }
}
