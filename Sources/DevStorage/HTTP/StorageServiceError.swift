public import HTTPTypes

/// An error answered the way Azure Storage answers it: an HTTP status, an error code carried in
/// `x-ms-error-code` and an XML `<Error>` body, and a human message.
public struct StorageServiceError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// Azure's error code, such as `BlobNotFound`.
    public let code: String
    /// A human-readable explanation.
    public let message: String
    /// Extra response headers (for example `Retry-After` or `Content-Range`).
    public var headers: HTTPFields = [:]
    /// Elements Azure adds after `<Message>`, such as `AuthenticationErrorDetail` or
    /// `XmlNodeName`; the SDKs show them beside the code.
    public var detailElements: [(name: String, text: String)] = []

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.status.code) \(self.code): \(self.message)" }
}

extension StorageServiceError {
    static func authenticationFailed(_ detail: String) -> Self {
        .init(
            .forbidden,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. \(detail)"
        )
    }
    /// 403 `AuthenticationFailed` with the reason in `<AuthenticationErrorDetail>`, as Azure
    /// reports a bearer token sent with too old an `x-ms-version`, or an operation that needs one.
    static func authenticationFailed(detail: String) -> Self {
        var error = Self(
            .forbidden,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."
        )
        error.detailElements.append(("AuthenticationErrorDetail", detail))
        return error
    }
    /// 401 `InvalidAuthenticationInfo`: a bearer token Azure would not accept. The
    /// `WWW-Authenticate` challenge names the authority and resource to get a token from, in
    /// Azure's exact shape (the Azure SDKs parse it to retry with a token for that tenant).
    static func invalidAuthenticationInfo(_ detail: String, tenant: String) -> Self {
        var error = Self(
            .unauthorized,
            "InvalidAuthenticationInfo",
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."
        )
        error.detailElements.append(("AuthenticationErrorDetail", detail))
        error.headers[.wwwAuthenticate] =
            "Bearer authorization_uri=https://login.microsoftonline.com/\(tenant)/oauth2/authorize resource_id=https://storage.azure.com"
        return error
    }
    static func permissionMismatch(_ detail: String) -> Self {
        .init(
            .forbidden,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission. \(detail)"
        )
    }
    static func resourceTypeMismatch() -> Self {
        .init(
            .forbidden,
            "AuthorizationResourceTypeMismatch",
            "This request is not authorized to perform this operation using this resource type."
        )
    }
    static func serviceMismatch() -> Self {
        .init(
            .forbidden,
            "AuthorizationServiceMismatch",
            "This request is not authorized to perform this operation using this service."
        )
    }
    static func protocolMismatch() -> Self {
        .init(
            .forbidden,
            "AuthorizationProtocolMismatch",
            "This request is not authorized to perform this operation using this protocol."
        )
    }
    static func sourceIPMismatch() -> Self {
        .init(
            .forbidden,
            "AuthorizationSourceIPMismatch",
            "This request is not authorized to perform this operation using this source IP."
        )
    }
    static let resourceNotFound = Self(.notFound, "ResourceNotFound", "The specified resource does not exist.")
    static let accountNotFound = Self(.notFound, "ResourceNotFound", "The specified account does not exist.")
    static let containerNotFound = Self(.notFound, "ContainerNotFound", "The specified container does not exist.")
    static let containerAlreadyExists = Self(
        .conflict,
        "ContainerAlreadyExists",
        "The specified container already exists."
    )
    static let containerBeingDeleted = Self(
        .conflict,
        "ContainerBeingDeleted",
        "The specified container is being deleted."
    )
    static let blobNotFound = Self(.notFound, "BlobNotFound", "The specified blob does not exist.")
    static let blobAlreadyExists = Self(.conflict, "BlobAlreadyExists", "The specified blob already exists.")
    static let queueNotFound = Self(.notFound, "QueueNotFound", "The specified queue does not exist.")
    static let queueAlreadyExists = Self(.conflict, "QueueAlreadyExists", "The specified queue already exists.")
    static let messageNotFound = Self(.notFound, "MessageNotFound", "The specified message does not exist.")
    static let popReceiptMismatch = Self(
        .badRequest,
        "PopReceiptMismatch",
        "The specified pop receipt did not match the pop receipt for a dequeued message."
    )
    static let messageTooLarge = Self(.badRequest, "MessageTooLarge", "The message exceeds the maximum allowed size.")
    static let requestBodyTooLarge = Self(
        .contentTooLarge,
        "RequestBodyTooLarge",
        "The request body is too large and exceeds the maximum permissible limit."
    )
    static let conditionNotMet = Self(
        .preconditionFailed,
        "ConditionNotMet",
        "The condition specified using HTTP conditional header(s) is not met."
    )
    static let invalidBlockList = Self(.badRequest, "InvalidBlockList", "The specified block list is invalid.")
    static let invalidBlobOrBlock = Self(
        .badRequest,
        "InvalidBlobOrBlock",
        "The specified blob or block content is invalid."
    )
    static let md5Mismatch = Self(
        .badRequest,
        "Md5Mismatch",
        "The MD5 value specified in the request did not match with the MD5 value calculated by the server."
    )
    static let unsupportedHTTPVerb = Self(
        .methodNotAllowed,
        "UnsupportedHttpVerb",
        "The resource doesn't support specified Http Verb."
    )
    static let cannotVerifyCopySource = Self(.notFound, "CannotVerifyCopySource", "The specified blob does not exist.")
    static func invalidBlockId(_ id: String) -> Self {
        .init(
            .badRequest,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid. blockid=\(id)"
        )
    }
    static func invalidRange(blobSize: Int64) -> Self {
        var error = Self(
            .rangeNotSatisfiable,
            "InvalidRange",
            "The range specified is invalid for the current size of the resource."
        )
        error.headers[.contentRange] = "bytes */\(blobSize)"
        return error
    }
    static func invalidXML(_ detail: String) -> Self {
        .init(.badRequest, "InvalidXmlDocument", "XML specified is not syntactically valid. \(detail)")
    }
    static func invalidResourceName(_ detail: String) -> Self {
        .init(.badRequest, "InvalidResourceName", "The specifed resource name contains invalid characters. \(detail)")
    }
    static func outOfRangeQuery(_ name: String, _ value: String) -> Self {
        .init(
            .badRequest,
            "OutOfRangeQueryParameterValue",
            "One of the query parameters specified in the request URI is outside the permissible range. \(name)=\(value)"
        )
    }
    static func invalidQuery(_ name: String, _ value: String) -> Self {
        .init(
            .badRequest,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid. \(name)=\(value)"
        )
    }
    /// 400 `InvalidXmlNodeValue`, naming the node and its value as Azure does (Azure writes the
    /// value in `XmlNodeName` too; this names the node there).
    static func invalidXMLNodeValue(_ node: String, _ value: String) -> Self {
        var error = Self(
            .badRequest,
            "InvalidXmlNodeValue",
            "The value for one of the XML nodes is not in the correct format."
        )
        error.detailElements = [("XmlNodeName", node), ("XmlNodeValue", value)]
        return error
    }
    static func missingXMLNode(_ node: String) -> Self {
        var error = Self(
            .badRequest,
            "MissingRequiredXmlNode",
            "An XML node that is mandatory for this request is not specified."
        )
        error.detailElements = [("XmlNodeName", node)]
        return error
    }
    static func invalidHeader(_ name: String, _ value: String) -> Self {
        .init(
            .badRequest,
            "InvalidHeaderValue",
            "The value for one of the HTTP headers is not in the correct format. \(name): \(value)"
        )
    }
    static func missingHeader(_ name: String) -> Self {
        .init(
            .badRequest,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified. \(name)"
        )
    }
    static func missingQuery(_ name: String) -> Self {
        .init(
            .badRequest,
            "MissingRequiredQueryParameter",
            "A query parameter that's mandatory for this request is not specified. \(name)"
        )
    }
    static func invalidInput(_ detail: String) -> Self {
        .init(.badRequest, "InvalidInput", "One of the request inputs is not valid. \(detail)")
    }
    static func invalidURI(_ detail: String) -> Self {
        .init(.badRequest, "InvalidUri", "The requested URI does not represent any resource on the server. \(detail)")
    }
    /// What Azurite answers for an operation it lacks: 501 `APINotImplemented`, naming the
    /// operation in Azure's words. A request that names no operation of the service at all gets
    /// Azure's 405 `UnsupportedHttpVerb` (a 501 would claim the operation exists).
    static func notImplemented(_ request: StorageRequest) -> Self {
        guard let name = UnsupportedOperation.name(request) else { return .unsupportedHTTPVerb }
        return .init(.notImplemented, "APINotImplemented", "The development storage server does not implement \(name).")
    }
    static let blobArchived = Self(.conflict, "BlobArchived", "This operation is not permitted on an archived blob.")
    static func internalError(_ detail: String) -> Self {
        .init(.internalServerError, "InternalError", "The server encountered an internal error. \(detail)")
    }
    static func operationTimedOut() -> Self {
        .init(
            .internalServerError,
            "OperationTimedOut",
            "The operation could not be completed within the permitted time. (injected fault)"
        )
    }
    static func serverBusy(retryAfter: Int) -> Self {
        var error = Self(
            .serviceUnavailable,
            "ServerBusy",
            "The server is currently unable to receive requests. Please retry your request. (injected fault)"
        )
        error.headers[.retryAfter] = String(retryAfter)
        return error
    }
    static func insufficientStorage(_ detail: String) -> Self {
        .init(.internalServerError, "InternalError", "The server could not store the data. \(detail)")
    }
}
