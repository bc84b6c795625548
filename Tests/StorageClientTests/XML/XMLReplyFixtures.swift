import Testing

@testable import StorageClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the shared fixtures in `Tests/Fixtures`, found relative to this source file.
enum XMLReplyFixtures {
    struct Missing: Error {
        let path: String
    }

    /// The bytes of `Tests/Fixtures/<path>`.
    static func load(_ path: String) throws -> [UInt8] {
        // This file is Tests/StorageClientTests/XML/XMLReplyFixtures.swift: three levels below Tests/.
        let tests = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let file = "/" + tests + "/Fixtures/" + path
        guard let handle = fopen(file, "rb") else { throw Missing(path: file) }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}

extension StorageDecodingError {
    /// Runs `body` and returns the decoding error it threw, or nil if it threw nothing.
    /// Any other kind of error is recorded as a test failure.
    static func caught<T>(_ body: () throws -> T) -> StorageDecodingError? {
        do {
            _ = try body()
            return nil
        } catch let error as StorageDecodingError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }
}
