public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checkpoints, claims and dead-letter records for blob versions, kept in one folder that several
/// replicas share (an Azure Files share mounted over SMB, named by `BLOBFLOW_CHECKPOINT_DIR`).
///
/// Layout (layout 2), all JSON:
///
/// ```
/// claims/ab/abcdef….claim     who works on a version, until when, and the progress so far;
///                             kept after the work is finished
/// claims/ab/abcdef….lock      held for milliseconds while a claim is renewed, released or taken over
/// records/ab/abcdef….json     the final record of a completed or dead-lettered version
/// deadletters/abcdef….json    why a version was given up, with the original message
/// corrupt/…                   damaged files moved aside, for a person to look at
/// layout-2                    written once the folder is in this layout
/// ```
///
/// File names are the SHA-256 of the key; `ab` is its first two hex digits, so files spread over
/// 256 folders and concurrent creates do not queue on one folder's lock. Every exclusive step is
/// an `O_EXCL` create or a rename, which SMB performs atomically; no byte-range locks are used.
/// A version seen for the first time costs a claim (create, write, close) and, once finished, its
/// record (create, write, close); the flush that makes records durable is shared by all the
/// records finished meanwhile (``flush()``). A folder written by blobflow's first layout (every
/// record in `records/`, claims directly in `claims/`) is converted once when opened.
///
/// Calls block on file I/O and are short; call them from a thread that may block.
public final class CheckpointStore: Sendable {
    /// The shared folder.
    public let directory: String
    /// This replica's identity, written into claims and records.
    public let replicaID: String

    let clock: @Sendable () -> Date
    let layout: StoreLayout
    private let groupCommit: GroupCommit
    /// The claims this process holds, as last written (see ``note(_:_:)``).
    let held = HeldClaims()

    /// Opens (and creates when missing) the folder tree under `directory`, converting a folder of
    /// the first layout.
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
        self.groupCommit = try GroupCommit(directory: directory)
        try self.migrateIfNeeded()
    }

    /// The store's clock: the time claims expire by and records are stamped with.
    public var now: Date { self.clock() }

    /// Makes every record written before the call durable (host crash, power cut): one flush of
    /// the file system shared by every caller waiting at the same time. Call it before acting on a
    /// record outside this folder (deleting the queue message of a finished event).
    public func flush() throws(CheckpointError) {
        try self.groupCommit.flush()
    }

    /// A unique name for a temporary file next to `finalName`, hidden and ending in `.tmp` so
    /// scans skip it and pruning can remove one left by a crash.
    func temporaryName(for finalName: String) -> String {
        ".\(finalName).\(RandomToken.make()).tmp"
    }

    /// Writes `bytes` atomically at `path`, creating its fan-out folder on first use.
    func writeAtomically(_ bytes: [UInt8], to path: String, name: String, durable: Bool = true) throws(CheckpointError)
    {
        do {
            try FileSystem.writeAtomically(
                bytes,
                to: path,
                temporaryName: self.temporaryName(for: name),
                durable: durable
            )
        } catch  where error.errno == ENOENT {
            try FileSystem.makeDirectory(String(path[..<path.lastIndex(of: "/")!]))
            try FileSystem.writeAtomically(
                bytes,
                to: path,
                temporaryName: self.temporaryName(for: name),
                durable: durable
            )
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
    var layoutMarker: String { self.root + "/layout-2" }

    func recordPath(_ digest: String) -> String { "\(self.records)/\(digest.prefix(2))/\(digest).json" }
    func claimPath(_ digest: String) -> String { "\(self.claims)/\(digest.prefix(2))/\(digest).claim" }
    func lockPath(_ digest: String) -> String { "\(self.claims)/\(digest.prefix(2))/\(digest).lock" }
    func deadLetterPath(_ stem: String) -> String { "\(self.deadLetters)/\(stem).json" }
}
