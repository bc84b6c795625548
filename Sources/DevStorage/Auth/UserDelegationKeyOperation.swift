import HTTPTypes
import Hummingbird
import NIOCore
import StorageAuth
import StorageCore
import StorageXML

/// Get User Delegation Key, `POST /ACCOUNT/?restype=service&comp=userdelegationkey`: a key for
/// signing user delegation SAS, issued only to a bearer token (so only in OAuth mode).
///
/// Served on the blob service (`SignedService` `b`) and, as the current SDKs also call it there,
/// on the queue service (`q`). The key is derived from its fields, not stored: see
/// ``RequestAuthorizer/userDelegationKey(_:accountKey:)``.
enum UserDelegationKeyOperation {
    /// The REST operation name, for logs and fault plans.
    static let name = "GetUserDelegationKey"
    /// The longest a key may live, measured from now: seven days, with no slack, as Azure enforces.
    static let maxLifetime: Int64 = 7 * 24 * 3600
    private static let maxBodyBytes = 64 * 1024

    /// Whether a request to a service root is this operation.
    static func matches(_ request: StorageRequest) -> Bool {
        request.resourceName == nil && request.method == .post && request.query("restype") == "service"
            && request.query("comp") == "userdelegationkey"
    }

    /// Checks the bearer token, reads `<KeyInfo><Start/>?<Expiry/><DelegatedUserTid/>?</KeyInfo>`
    /// and answers the key.
    ///
    /// - Throws: 403 `AuthenticationFailed` ("Only authentication scheme Bearer is supported") for
    ///   Shared Key, SAS or no credentials, as Azure answers; the usual bearer failures; 400
    ///   `InvalidXmlNodeValue` for a time that is not a date, an expiry not after the start or
    ///   now, or more than seven days ahead.
    static func respond(
        to request: StorageRequest,
        body: RequestBody,
        authorizer: RequestAuthorizer,
        now: StorageDate = .now()
    ) async throws(StorageServiceError) -> Response {
        let token = try authorizer.checkBearer(request, now: now.seconds)
        guard let accountKey = authorizer.accountKey(request.account) else { throw .accountNotFound }
        guard let objectID = token.objectID, let tenantID = token.tenantID,
            RequestAuthorizer.isValidKeyField(objectID), RequestAuthorizer.isValidKeyField(tenantID)
        else {
            throw .authenticationFailed(
                detail: "The token names no principal ('oid' or 'sub') or no tenant ('tid' or an issuer with one)."
            )
        }

        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: Self.maxBodyBytes)
        } catch {
            throw .requestBodyTooLarge
        }
        let root: XMLElement
        do {
            root = try XMLDocumentParser.parse(Array(buffer.readableBytesView), maxBytes: Self.maxBodyBytes)
        } catch {
            throw .invalidXML(error.message)
        }
        guard root.name == "KeyInfo" else { throw .invalidXML("The root element must be <KeyInfo>.") }
        guard let expiryText = root.childText("Expiry") else { throw .missingXMLNode("Expiry") }
        guard let expiry = StorageDate(iso8601: expiryText) else { throw .invalidXMLNodeValue("Expiry", expiryText) }
        var start = now
        if let startText = root.childText("Start"), !startText.isEmpty {
            guard let parsed = StorageDate(iso8601: startText) else { throw .invalidXMLNodeValue("Start", startText) }
            start = parsed
        }
        let latest = now.adding(seconds: Self.maxLifetime)
        guard now < expiry, start < expiry, expiry <= latest else { throw .invalidXMLNodeValue("Expiry", expiryText) }
        guard start <= latest else { throw .invalidXMLNodeValue("Start", start.iso8601(fractionDigits: 0)) }
        var delegatedUserTenantID: String?
        if let delegated = root.childText("DelegatedUserTid"), !delegated.isEmpty {
            guard RequestAuthorizer.isValidKeyField(delegated) else {
                throw .invalidXMLNodeValue("DelegatedUserTid", delegated)
            }
            delegatedUserTenantID = delegated
        }

        let fields = UserDelegationKeyFields(
            objectID: objectID,
            tenantID: tenantID,
            start: StorageDate(seconds: start.seconds),
            expiry: StorageDate(seconds: expiry.seconds),
            service: UserDelegationKeyFields.serviceLetter(request.service),
            version: request.header("x-ms-version") ?? StorageResponse.responseVersion,
            delegatedUserTenantID: delegatedUserTenantID
        )
        let key = authorizer.userDelegationKey(fields, accountKey: accountKey)
        var xml = XMLBuilder()
        xml.open("UserDelegationKey")
        xml.element("SignedOid", key.signedObjectID)
        xml.element("SignedTid", key.signedTenantID)
        xml.element("SignedStart", key.signedStart)
        xml.element("SignedExpiry", key.signedExpiry)
        xml.element("SignedService", key.signedService)
        xml.element("SignedVersion", key.signedVersion)
        if let delegated = key.signedDelegatedUserTenantID { xml.element("SignedDelegatedUserTid", delegated) }
        xml.element("Value", key.value)
        xml.close("UserDelegationKey")
        return StorageResponse.xml(.ok, request, xml.text)
    }
}
