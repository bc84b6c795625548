// swift-tools-version:6.1
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmarks of blobflow's storage client, one executable per benchmark. The Python drivers next
// to this file start the development server, run these beside azcopy and the Azure SDK for
// Python, and print the figures.
let package = Package(
    name: "blobflow-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../")
    ],
    targets: [
        .executableTarget(
            name: "transfer-bench",
            dependencies: [.product(name: "StorageClient", package: root)],
            path: "Sources/transfer-bench"
        ),
        .executableTarget(
            name: "queue-bench",
            dependencies: [.product(name: "StorageClient", package: root)],
            path: "Sources/queue-bench"
        ),
    ]
)
