import Checkpoints
import Foundation
import StorageClient
import StorageCore

/// The `Microsoft.Storage.BlobCreated` event, in Event Grid's own schema, that backfill puts on the
/// work queue for a blob Event Grid never reported: what Event Grid would have sent for a Put Blob
/// of that version.
struct BackfillEvent {
    /// Marks the events blobflow made itself, so logs and dead letters tell them from Event Grid's.
    static let idPrefix = "blobflow-backfill-"

    let accountName: String
    let container: String
    let blobName: String
    let properties: BlobProperties
    let url: String

    /// The same id for the same blob version every time, so a second backfill's event is the
    /// first one's duplicate.
    var id: String {
        let key = CheckpointKey(
            account: self.accountName,
            container: self.container,
            blobName: self.blobName,
            eTag: self.properties.eTag
        )
        return Self.idPrefix + key.digest.prefix(32)
    }

    /// The eTag as Event Grid writes it in `data.eTag`: without quotes.
    var bareETag: String { EntityTag.opaque(self.properties.eTag) }

    /// The queue message: base64 of the event's JSON, as Event Grid delivers to a storage queue.
    func messageText() throws -> String {
        let time = (self.properties.lastModified ?? .now()).iso8601()
        var data: [String: Any] = [
            "api": "PutBlob",
            "clientRequestId": self.id,
            "requestId": self.id,
            "eTag": self.bareETag,
            "contentLength": self.properties.contentLength,
            "blobType": self.properties.blobType ?? "BlockBlob",
            "url": self.url,
            "sequencer": "0",
            "storageDiagnostics": ["batchId": "blobflow-backfill"],
        ]
        data["contentType"] = self.properties.contentType ?? "application/octet-stream"
        let event: [String: Any] = [
            "topic": "/blobflow/backfill/storageAccounts/\(self.accountName)",
            "subject": "/blobServices/default/containers/\(self.container)/blobs/\(self.blobName)",
            "eventType": "Microsoft.Storage.BlobCreated",
            "id": self.id,
            "data": data,
            "dataVersion": "",
            "metadataVersion": "1",
            "eventTime": time,
        ]
        let json = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
        return Base64.encode(json)
    }
}
