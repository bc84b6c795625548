import ArgumentParser

/// The `blobflow` command.
@main
struct Blobflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobflow",
        abstract: "Process files dropped into Azure Blob Storage, driven by Event Grid events on a Storage Queue.",
        version: "0.1.0",
        subcommands: [DevstoreCommand.self]
    )
}
