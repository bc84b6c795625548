public import DevStorage
import Foundation
public import Logging
import ServiceLifecycle

/// Runs a development storage server in this process on free ports, with its state in a fresh
/// temporary folder, for the duration of a closure; then shuts it down and removes the folder.
///
/// ```swift
/// try await withDevStorage { endpoints in
///     let connectionString = endpoints.connectionString()
/// }
/// ```
public func withDevStorage<Result: Sendable>(
    configure: (inout DevStorageConfiguration) -> Void = { _ in },
    logger: Logger = Logger(label: "devstore", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: @Sendable (DevStorageEndpoints) async throws -> Result
) async throws -> Result {
    var configuration = DevStorageConfiguration()
    configuration.blobPort = 0
    configuration.queuePort = 0
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "devstore-\(UInt64.random(in: 0...UInt64.max))"
    ).path
    configuration.location = folder
    configure(&configuration)
    defer { try? FileManager.default.removeItem(atPath: folder) }

    let (readyStream, readyContinuation) = AsyncStream.makeStream(of: DevStorageEndpoints.self)
    let server = try DevStorageServer(configuration: configuration, logger: logger) { endpoints in
        readyContinuation.yield(endpoints)
        readyContinuation.finish()
    }
    let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            var iterator = readyStream.makeAsyncIterator()
            guard let endpoints = await iterator.next() else {
                throw DevStorageFixtureError(message: "the development server stopped before it was ready")
            }
            let result = try await body(endpoints)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// The development server failed to start for a test.
public struct DevStorageFixtureError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { self.message }
}
