import Crypto
import Foundation
import StorageCore
import Synchronization

/// Containers and blob records of every account, persisted as one small JSON file per record.
/// Blob content lives in immutable extent files (see ``ExtentStore``) that records reference, so
/// committing a block list or copying a blob never copies bytes.
final class BlobStore: Sendable {
    private struct ContainerKey: Hashable {
        var account: String
        var container: String
    }

    private struct ContainerState {
        var record: ContainerRecord
        var blobs: [String: BlobRecord] = [:]
        var sortedNames: [String]?
    }

    private struct State {
        var containers: [ContainerKey: ContainerState] = [:]
        var extentReferences: [String: Int] = [:]
    }

    let extents: ExtentStore
    private let root: String
    private let state: Mutex<State>

    init(location: String) throws {
        self.root = location
        self.extents = try ExtentStore(directory: location + "/extents")
        var state = State()
        let fileManager = FileManager.default
        let decoder = JSONDecoder()
        for account in (try? fileManager.contentsOfDirectory(atPath: location + "/accounts")) ?? [] {
            let containersPath = "\(location)/accounts/\(account)/containers"
            for container in (try? fileManager.contentsOfDirectory(atPath: containersPath)) ?? [] {
                let folder = "\(containersPath)/\(container)"
                guard let data = fileManager.contents(atPath: folder + "/container.json"),
                    let record = try? decoder.decode(ContainerRecord.self, from: data)
                else { continue }
                var containerState = ContainerState(record: record)
                for file in (try? fileManager.contentsOfDirectory(atPath: folder + "/blobs")) ?? []
                where file.hasSuffix(".json") {
                    guard let data = fileManager.contents(atPath: "\(folder)/blobs/\(file)"),
                        let blob = try? decoder.decode(BlobRecord.self, from: data)
                    else { continue }
                    containerState.blobs[blob.name] = blob
                    for extent in blob.extents { state.extentReferences[extent, default: 0] += 1 }
                }
                state.containers[ContainerKey(account: account, container: record.name)] = containerState
            }
        }
        self.extents.removeUnreferenced(keeping: Set(state.extentReferences.keys))
        self.state = Mutex(state)
    }

    // MARK: Containers

    func createContainer(
        account: String,
        name: String,
        metadata: [String: String],
        publicAccess: String?
    ) throws(StorageServiceError) -> ContainerRecord {
        try self.withState { state in
            let key = ContainerKey(account: account, container: name)
            guard state.containers[key] == nil else { throw StorageServiceError.containerAlreadyExists }
            let now = StorageDate.now()
            let record = ContainerRecord(
                name: name,
                created: now,
                lastModified: now,
                etag: ETagGenerator.next(),
                metadata: metadata,
                publicAccess: publicAccess
            )
            try self.persist(record, account: account)
            state.containers[key] = ContainerState(record: record)
            return record
        }
    }

    func container(account: String, name: String) throws(StorageServiceError) -> ContainerRecord {
        try self.withState { state in
            guard let container = state.containers[ContainerKey(account: account, container: name)] else {
                throw StorageServiceError.containerNotFound
            }
            return container.record
        }
    }

    /// The container's public access level, or nil when private or missing.
    func publicAccess(account: String, container: String) -> String? {
        self.state.withLock { $0.containers[ContainerKey(account: account, container: container)]?.record.publicAccess }
    }

    func updateContainer(
        account: String,
        name: String,
        _ change: (inout ContainerRecord) -> Void
    ) throws(StorageServiceError) -> ContainerRecord {
        try self.withState { state in
            let key = ContainerKey(account: account, container: name)
            guard var record = state.containers[key]?.record else { throw StorageServiceError.containerNotFound }
            change(&record)
            record.lastModified = StorageDate.now()
            record.etag = ETagGenerator.next()
            try self.persist(record, account: account)
            state.containers[key]!.record = record
            return record
        }
    }

    func deleteContainer(account: String, name: String) throws(StorageServiceError) {
        let released = try self.withState { state in
            let key = ContainerKey(account: account, container: name)
            guard let container = state.containers.removeValue(forKey: key) else {
                throw StorageServiceError.containerNotFound
            }
            try? FileManager.default.removeItem(atPath: self.containerFolder(account: account, container: name))
            return container.blobs.values.flatMap(\.extents).filter { Self.release($0, in: &state) }
        }
        self.extents.remove(released)
    }

    func listContainers(account: String) -> [ContainerRecord] {
        self.state.withLock { state in
            state.containers.filter { $0.key.account == account }.map(\.value.record).sorted { $0.name < $1.name }
        }
    }

    // MARK: Blobs

    /// The committed blob with this name.
    func blob(account: String, container: String, name: String) throws(StorageServiceError) -> BlobRecord {
        try self.withState { state in
            guard let containerState = state.containers[ContainerKey(account: account, container: container)] else {
                throw StorageServiceError.containerNotFound
            }
            guard let blob = containerState.blobs[name], blob.isCommitted else {
                throw StorageServiceError.blobNotFound
            }
            return blob
        }
    }

    /// Any record with this name, committed or only staged.
    func record(account: String, container: String, name: String) throws(StorageServiceError) -> BlobRecord? {
        try self.withState { state in
            guard let containerState = state.containers[ContainerKey(account: account, container: container)] else {
                throw StorageServiceError.containerNotFound
            }
            return containerState.blobs[name]
        }
    }

    /// Commits new content for a blob (Put Blob, Put Block List, Copy Blob). `makeBlocks` runs under
    /// the lock with the current record so block lists resolve against a consistent state; the
    /// extents it returns gain a reference, those the old record held lose one.
    func commit(
        account: String,
        container: String,
        name: String,
        conditions: BlobConditions,
        makeRecord: (BlobRecord?) throws(StorageServiceError) -> BlobRecord
    ) throws(StorageServiceError) -> BlobRecord {
        let (record, released) = try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            let existing = state.containers[key]!.blobs[name]
            let committed = existing.flatMap { $0.isCommitted ? $0 : nil }
            try conditions.checkWrite(existing: committed.map { ($0.etag, $0.lastModified) })
            var record = try makeRecord(existing)
            record.name = name
            record.lastModified = StorageDate.now()
            record.created = committed?.created ?? record.lastModified
            record.etag = ETagGenerator.next()
            try self.persist(record, account: account, container: container)
            for extent in record.extents { state.extentReferences[extent, default: 0] += 1 }
            let released = (existing?.extents ?? []).filter { Self.release($0, in: &state) }
            if existing == nil { state.containers[key]!.sortedNames = nil }
            state.containers[key]!.blobs[name] = record
            return (record, released)
        }
        self.extents.remove(released)
        return record
    }

    /// Stages an uncommitted block.
    func stageBlock(account: String, container: String, name: String, block: BlockReference) throws(StorageServiceError)
    {
        let released = try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            var record =
                state.containers[key]!.blobs[name]
                ?? BlobRecord(
                    name: name,
                    isCommitted: false,
                    created: StorageDate.now(),
                    lastModified: StorageDate.now(),
                    etag: "",
                    properties: .init(),
                    metadata: [:],
                    blocks: [],
                    uncommitted: []
                )
            let existingLengths = Set((record.blocks + record.uncommitted).map(\.id.utf8.count).filter { $0 > 0 })
            if let length = existingLengths.first, length != block.id.utf8.count {
                throw StorageServiceError.invalidBlobOrBlock
            }
            var released: [String] = []
            if let index = record.uncommitted.firstIndex(where: { $0.id == block.id }) {
                released.append(record.uncommitted.remove(at: index).extent)
            }
            record.uncommitted.append(block)
            guard record.uncommitted.count <= 100_000 else { throw StorageServiceError.invalidBlobOrBlock }
            try self.persist(record, account: account, container: container)
            state.extentReferences[block.extent, default: 0] += 1
            if state.containers[key]!.blobs[name] == nil { state.containers[key]!.sortedNames = nil }
            state.containers[key]!.blobs[name] = record
            return released.filter { Self.release($0, in: &state) }
        }
        self.extents.remove(released)
    }

    /// Changes a committed blob's metadata or properties, giving it a new ETag.
    func update(
        account: String,
        container: String,
        name: String,
        conditions: BlobConditions,
        _ change: (inout BlobRecord) throws(StorageServiceError) -> Void
    ) throws(StorageServiceError) -> BlobRecord {
        try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            guard var record = state.containers[key]!.blobs[name], record.isCommitted else {
                throw StorageServiceError.blobNotFound
            }
            try conditions.checkWrite(existing: (record.etag, record.lastModified))
            try change(&record)
            record.lastModified = StorageDate.now()
            record.etag = ETagGenerator.next()
            try self.persist(record, account: account, container: container)
            state.containers[key]!.blobs[name] = record
            return record
        }
    }

    /// Sets a committed blob's access tier. As in Azure, the ETag and Last-Modified stay: the
    /// content and properties did not change.
    func setTier(account: String, container: String, name: String, tier: AccessTier) throws(StorageServiceError) {
        try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            guard var record = state.containers[key]!.blobs[name], record.isCommitted else {
                throw StorageServiceError.blobNotFound
            }
            record.tier = tier
            record.tierChangeTime = StorageDate.now()
            try self.persist(record, account: account, container: container)
            state.containers[key]!.blobs[name] = record
        }
    }

    /// The committed blob with this name, with its content's extents held until the returned
    /// pin is released (or dropped): an overwrite or delete meanwhile removes the record at once
    /// but leaves the bytes in place for this reader.
    func blobForReading(
        account: String,
        container: String,
        name: String
    ) throws(StorageServiceError) -> (BlobRecord, ReadPin) {
        try self.withState { state in
            guard let containerState = state.containers[ContainerKey(account: account, container: container)] else {
                throw StorageServiceError.containerNotFound
            }
            guard let blob = containerState.blobs[name], blob.isCommitted else {
                throw StorageServiceError.blobNotFound
            }
            let extents = blob.blocks.map(\.extent)
            for extent in extents { state.extentReferences[extent, default: 0] += 1 }
            return (blob, ReadPin(store: self, extents: extents))
        }
    }

    /// Drops the references a reader held; extents nothing else references go.
    fileprivate func unpin(_ extents: [String]) {
        let released = self.state.withLock { state in extents.filter { Self.release($0, in: &state) } }
        self.extents.remove(released)
    }

    func deleteBlob(
        account: String,
        container: String,
        name: String,
        conditions: BlobConditions
    ) throws(StorageServiceError) {
        let released = try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            guard let record = state.containers[key]!.blobs[name], record.isCommitted else {
                throw StorageServiceError.blobNotFound
            }
            try conditions.checkWrite(existing: (record.etag, record.lastModified))
            try? FileManager.default.removeItem(
                atPath: self.blobPath(account: account, container: container, name: name)
            )
            state.containers[key]!.blobs[name] = nil
            state.containers[key]!.sortedNames = nil
            return record.extents.filter { Self.release($0, in: &state) }
        }
        self.extents.remove(released)
    }

    /// Committed blobs whose names start with `prefix` and are at or after `marker`, in name order.
    func listBlobs(
        account: String,
        container: String,
        prefix: String,
        startingAt marker: String,
        includeUncommitted: Bool = false,
        visit: (BlobRecord) -> Bool
    ) throws(StorageServiceError) {
        try self.withState { state in
            let key = ContainerKey(account: account, container: container)
            guard state.containers[key] != nil else { throw StorageServiceError.containerNotFound }
            if state.containers[key]!.sortedNames == nil {
                state.containers[key]!.sortedNames = state.containers[key]!.blobs.keys.sorted()
            }
            let names = state.containers[key]!.sortedNames!
            let start = max(marker, prefix)
            var low = 0
            var high = names.count
            while low < high {
                let middle = (low + high) / 2
                if names[middle] < start { low = middle + 1 } else { high = middle }
            }
            let blobs = state.containers[key]!.blobs
            for name in names[low...] {
                guard name.hasPrefix(prefix) else { break }
                guard let record = blobs[name], record.isCommitted || includeUncommitted else { continue }
                if !visit(record) { break }
            }
        }
    }

    // MARK: Persistence

    private func withState<Result>(_ body: (inout State) throws -> Result) throws(StorageServiceError) -> Result {
        do {
            return try self.state.withLock { try body(&$0) }
        } catch let error as StorageServiceError {
            throw error
        } catch {
            throw .internalError("Blob metadata: \(error)")
        }
    }

    /// Drops one reference; true when the extent is now unreferenced and may be removed.
    private static func release(_ extent: String, in state: inout State) -> Bool {
        guard let count = state.extentReferences[extent] else { return false }
        if count <= 1 {
            state.extentReferences[extent] = nil
            return true
        }
        state.extentReferences[extent] = count - 1
        return false
    }

    private func containerFolder(account: String, container: String) -> String {
        "\(self.root)/accounts/\(account)/containers/\(container)"
    }

    /// Blob names can hold anything (`../`, unicode, very long): the file name is a hash of it.
    private func blobPath(account: String, container: String, name: String) -> String {
        let digest = SHA256.hash(data: Data(name.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return self.containerFolder(account: account, container: container) + "/blobs/\(digest).json"
    }

    private func persist(_ record: ContainerRecord, account: String) throws {
        let folder = self.containerFolder(account: account, container: record.name)
        try FileManager.default.createDirectory(atPath: folder + "/blobs", withIntermediateDirectories: true)
        try AtomicFile.write(JSONEncoder().encode(record), to: folder + "/container.json")
    }

    private func persist(_ record: BlobRecord, account: String, container: String) throws {
        try AtomicFile.write(
            JSONEncoder().encode(record),
            to: self.blobPath(account: account, container: container, name: record.name)
        )
    }
}

/// A reader's hold on a blob's extents, taken by ``BlobStore/blobForReading(account:container:name:)``.
/// Released by `release()` when the response is written, or when the pin is dropped without it
/// (a response never sent), so no extent outlives every holder.
final class ReadPin: Sendable {
    private let store: BlobStore
    private let extents: Mutex<[String]?>

    fileprivate init(store: BlobStore, extents: [String]) {
        self.store = store
        self.extents = Mutex(extents)
    }

    func release() {
        guard
            let extents = self.extents.withLock({ held -> [String]? in
                defer { held = nil }
                return held
            })
        else { return }
        self.store.unpin(extents)
    }

    deinit { self.release() }
}

extension String {
    func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}

/// Writes a file so readers see either the old or the new content, never a torn one.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DevStorageIOError("cannot replace \(path): \(reason)")
        }
    }
}
