public import StorageCore

/// The properties and metadata of a blob as List Blobs reports them.
public struct BlobProperties: Sendable, Hashable {
    /// The blob's size in bytes.
    public var contentLength: Int64
    /// The stored `Content-Type`, nil when none is set.
    public var contentType: String?
    /// The stored MD5 of the whole blob, nil when absent, empty or not valid base64.
    public var contentMD5: [UInt8]?
    /// The entity tag exactly as the service sent it (quotes, if any, kept).
    public var eTag: String
    /// When the blob was last written.
    public var lastModified: StorageDate?
    /// When the blob was created.
    public var creationTime: StorageDate?
    /// `BlockBlob`, `PageBlob` or `AppendBlob`.
    public var blobType: String?
    /// The stored `Content-Encoding`, nil when none is set.
    public var contentEncoding: String?
    /// The stored `Content-Language`, nil when none is set.
    public var contentLanguage: String?
    /// The stored `Cache-Control`, nil when none is set.
    public var cacheControl: String?
    /// The stored `Content-Disposition`, nil when none is set.
    public var contentDisposition: String?
    /// User metadata by name (empty unless the listing asked for `include=metadata`).
    public var metadata: [String: String]

    /// Creates blob properties.
    public init(
        contentLength: Int64,
        contentType: String? = nil,
        contentMD5: [UInt8]? = nil,
        eTag: String,
        lastModified: StorageDate? = nil,
        creationTime: StorageDate? = nil,
        blobType: String? = nil,
        contentEncoding: String? = nil,
        contentLanguage: String? = nil,
        cacheControl: String? = nil,
        contentDisposition: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.contentLength = contentLength
        self.contentType = contentType
        self.contentMD5 = contentMD5
        self.eTag = eTag
        self.lastModified = lastModified
        self.creationTime = creationTime
        self.blobType = blobType
        self.contentEncoding = contentEncoding
        self.contentLanguage = contentLanguage
        self.cacheControl = cacheControl
        self.contentDisposition = contentDisposition
        self.metadata = metadata
    }
}

/// One blob in a listing.
public struct BlobListItem: Sendable, Hashable {
    /// The blob's full name within its container, already decoded.
    public var name: String
    /// The blob's properties and metadata.
    public var properties: BlobProperties

    /// Creates a listing entry.
    public init(name: String, properties: BlobProperties) {
        self.name = name
        self.properties = properties
    }
}

/// One page of a List Blobs reply.
public struct BlobListPage: Sendable, Hashable {
    /// The blobs on this page, in the service's (lexicographic) order.
    public var blobs: [BlobListItem]
    /// The virtual directories on this page when the listing used a delimiter.
    public var prefixes: [String]
    /// The marker that fetches the next page, nil when this is the last one.
    public var nextMarker: String?

    /// Creates a listing page.
    public init(blobs: [BlobListItem], prefixes: [String] = [], nextMarker: String? = nil) {
        self.blobs = blobs
        self.prefixes = prefixes
        self.nextMarker = nextMarker
    }
}

/// One block of a block blob.
public struct BlockListEntry: Sendable, Hashable {
    /// The block identifier, base64 exactly as sent.
    public var id: String
    /// The block's size in bytes.
    public var size: Int64

    /// Creates a block entry.
    public init(id: String, size: Int64) {
        self.id = id
        self.size = size
    }
}

/// The blocks of a block blob as Get Block List reports them.
public struct BlockList: Sendable, Hashable {
    /// The blocks that make up the blob's current content, in order.
    public var committed: [BlockListEntry]
    /// Blocks uploaded but not (yet) part of the blob.
    public var uncommitted: [BlockListEntry]

    /// Creates a block list.
    public init(committed: [BlockListEntry] = [], uncommitted: [BlockListEntry] = []) {
        self.committed = committed
        self.uncommitted = uncommitted
    }
}

/// What an Azure Storage `<Error>` body says about a failed request.
public struct StorageErrorDetails: Sendable, Hashable {
    /// The storage error code, such as `QueueNotFound` (also sent as `x-ms-error-code`).
    public var code: String?
    /// The human message's first line, without the `RequestId:` and `Time:` lines Azure appends.
    public var message: String?
    /// Any other details by element name, such as `AuthenticationErrorDetail` or `QueryParameterName`.
    public var extra: [String: String]

    /// Creates error details.
    public init(code: String?, message: String?, extra: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.extra = extra
    }
}

/// A user delegation key as Get User Delegation Key returns it, every field verbatim, ready to
/// sign user delegation SAS tokens.
///
/// ``value`` is a secret: the type's description and mirror redact it.
public struct UserDelegationKeyReply: Sendable, Hashable {
    /// The object ID of the identity the key was issued to (`skoid`).
    public var signedObjectID: String
    /// The tenant of that identity (`sktid`).
    public var signedTenantID: String
    /// The start of the key's validity, ISO 8601 (`skt`).
    public var signedStart: String
    /// The end of the key's validity, ISO 8601 (`ske`).
    public var signedExpiry: String
    /// The service the key is for, `b` for Blob (`sks`).
    public var signedService: String
    /// The REST version the key was issued under (`skv`).
    public var signedVersion: String
    /// The key itself, base64.
    public var value: String

    /// Creates a user delegation key.
    public init(
        signedObjectID: String,
        signedTenantID: String,
        signedStart: String,
        signedExpiry: String,
        signedService: String,
        signedVersion: String,
        value: String
    ) {
        self.signedObjectID = signedObjectID
        self.signedTenantID = signedTenantID
        self.signedStart = signedStart
        self.signedExpiry = signedExpiry
        self.signedService = signedService
        self.signedVersion = signedVersion
        self.value = value
    }
}

extension UserDelegationKeyReply: CustomStringConvertible, CustomReflectable {
    /// Every field but the key itself, which prints as `REDACTED`.
    public var description: String {
        "UserDelegationKeyReply(signedObjectID: \(self.signedObjectID), signedTenantID: \(self.signedTenantID), "
            + "signedStart: \(self.signedStart), signedExpiry: \(self.signedExpiry), "
            + "signedService: \(self.signedService), signedVersion: \(self.signedVersion), value: REDACTED)"
    }

    /// A mirror without the key, so `dump` cannot print it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "signedObjectID": self.signedObjectID,
                "signedTenantID": self.signedTenantID,
                "signedStart": self.signedStart,
                "signedExpiry": self.signedExpiry,
                "signedService": self.signedService,
                "signedVersion": self.signedVersion,
                "value": "REDACTED",
            ],
            displayStyle: .struct
        )
    }
}
