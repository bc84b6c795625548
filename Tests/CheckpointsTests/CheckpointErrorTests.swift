import Checkpoints
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct CheckpointErrorTests {
    @Test func fullDiskIsRecognisedFromTheRealErrno() throws {
        // /dev/full fails every write with ENOSPC, as a full share does.
        let descriptor = open("/dev/full", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        #expect {
            try FileSystem.writeAll(descriptor, Array("{}".utf8), path: "/share/records/ab/x.json")
        } throws: { error in
            guard let error = error as? CheckpointError else { return false }
            return error.isDiskFull && error.errno == ENOSPC && error.description.contains("/share/records/ab/x.json")
                && error.description.contains("No space left on device")
        }
        #expect(CheckpointError.fileSystem("cannot write", path: "/x", errno: EDQUOT).isDiskFull)
        #expect(!CheckpointError.fileSystem("cannot write", path: "/x", errno: EIO).isDiskFull)
        #expect(CheckpointError.fileSystem("cannot create", path: "/x", errno: EACCES).isPermissionDenied)
    }

    @Test func failingFolderKeepsErrnoAndPath() throws {
        try withTemporaryFolder { folder in
            // The share's records folder is, wrongly, a file.
            try FileManager.default.createDirectory(atPath: folder + "/share", withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: folder + "/share/records"))
            #expect {
                try CheckpointStore(directory: folder + "/share", replicaID: "r")
            } throws: { error in
                guard let error = error as? CheckpointError else { return false }
                return error.errno == EEXIST || error.errno == ENOTDIR
            }
            try FileManager.default.removeItem(atPath: folder + "/share/records")
            let store = try CheckpointStore(directory: folder + "/share", replicaID: "r")
            let key = CheckpointKey(account: "a", container: "b", blobName: "c", eTag: "d")
            try FileManager.default.removeItem(atPath: folder + "/share/records")
            try Data().write(to: URL(fileURLWithPath: folder + "/share/records"))
            #expect {
                try store.save(CheckpointRecord(key: key))
            } throws: { error in
                guard let error = error as? CheckpointError else { return false }
                return error.errno == ENOTDIR && error.description.contains(folder + "/share/records/")
                    && !error.isDiskFull && !error.isPermissionDenied
            }
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores file permissions"))
    func unwritableFolderIsPermissionDenied() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "r")
            chmod(folder + "/deadletters", 0o500)
            defer { chmod(folder + "/deadletters", 0o755) }
            let record = DeadLetterRecord(
                key: nil,
                reason: .undecodableMessage,
                message: "m",
                attempts: 1,
                lastError: nil,
                messageText: "x",
                messageID: "1",
                eventID: nil,
                deadLetteredAt: Date(),
                replicaID: "r"
            )
            #expect {
                try store.saveDeadLetter(record)
            } throws: { error in
                (error as? CheckpointError)?.isPermissionDenied == true && (error as? CheckpointError)?.errno == EACCES
            }
        }
    }
}
