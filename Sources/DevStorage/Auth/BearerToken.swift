import Foundation
import StorageCore

/// A Microsoft Entra ID access token as the development server reads it in OAuth mode (like
/// Azurite's `--oauth basic`): a JWT whose claims are checked as Azure Storage checks them.
///
/// **Development only: the signature is not verified.** Anyone who can reach the server can mint
/// a token it accepts, so OAuth mode proves that a client sends well-formed tokens for the right
/// audience at the right time, not who the client is. What is checked:
///
/// - shape: three base64url parts (padding tolerated), a JSON object header with an `alg` other
///   than `none` and a non-empty signature part (Entra signs every token; an unsigned one means
///   the client is not using Entra's tokens), a JSON object payload; at most ``maxLength`` characters;
/// - `aud`: `https://storage.azure.com` (with or without the trailing slash), Azure Storage's
///   application ID, or this account's endpoint of the requested service
///   (`https://ACCOUNT.blob.core.windows.net`, `.queue.`; `.dfs.` for blobs; and the sovereign
///   clouds' suffixes), as Azurite's list has them;
/// - `exp` (required) and `nbf` (when present), with ``clockSkew`` either way;
/// - `iss`: present and an `https://` URL. Entra writes `https://sts.windows.net/TENANT/` (v1
///   tokens) or `https://login.microsoftonline.com/TENANT/v2.0` (v2), sovereign clouds and test
///   authorities use other hosts, and without signature checks restricting the host would add
///   no safety, so any https issuer is accepted.
struct BearerToken: Sendable {
    /// The longest token accepted. Entra tokens are 1-3 KB; group overage keeps them far below this.
    static let maxLength = 16 * 1024
    /// How far `exp` and `nbf` may be off, in seconds: five minutes, as Azure allows.
    static let clockSkew: Int64 = 300

    /// Audiences that mean "Azure Storage", whatever the account.
    static let storageAudiences: Set<String> = [
        "https://storage.azure.com", "https://storage.azure.com/", "e406a681-f3d4-42a8-90b6-c2b029497af1",
    ]
    /// The endpoint suffixes of Azure's public and sovereign clouds.
    static let endpointSuffixes = [
        "core.windows.net", "core.chinacloudapi.cn", "core.usgovcloudapi.net", "core.cloudapi.de",
    ]

    /// `alg` from the header.
    let algorithm: String
    /// `aud`: one string in Entra's tokens; JWT also allows an array.
    let audiences: [String]
    /// `iss`, when present.
    let issuer: String?
    /// `exp`, seconds since 1970.
    let expiresOn: Int64
    /// `nbf`, seconds since 1970, when present.
    let notBefore: Int64?
    /// `oid`, the principal's object ID (falls back to `sub`).
    let objectID: String?
    /// `tid`, the principal's tenant (falls back to the first path segment of `iss`).
    let tenantID: String?

    /// Takes a token apart without judging its claims; see ``validate(account:service:now:)``.
    init(parsing token: some StringProtocol) throws(BearerTokenError) {
        guard token.utf8.count <= Self.maxLength else { throw .tooLong }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("it has \(parts.count) dot-separated parts, not 3") }
        guard let headerBytes = Self.base64URLDecode(parts[0]) else { throw .malformed("the header is not base64url") }
        guard let payloadBytes = Self.base64URLDecode(parts[1]) else {
            throw .malformed("the payload is not base64url")
        }
        guard Self.base64URLDecode(parts[2]) != nil else { throw .malformed("the signature is not base64url") }

        let decoder = JSONDecoder()
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: headerBytes)
        } catch {
            throw .malformed("the header is not a JSON object with a string 'alg'")
        }
        let claims: Claims
        do {
            claims = try decoder.decode(Claims.self, from: payloadBytes)
        } catch {
            throw .malformed("the payload is not a JSON object with claims of the right types")
        }
        guard header.alg.lowercased() != "none", !parts[2].isEmpty else { throw .unsigned }
        guard let exp = claims.exp else { throw .malformed("the payload has no 'exp' claim") }
        guard let expiresOn = Self.seconds(exp) else { throw .malformed("'exp' is not a time") }
        var notBefore: Int64?
        if let nbf = claims.nbf {
            guard let value = Self.seconds(nbf) else { throw .malformed("'nbf' is not a time") }
            notBefore = value
        }
        self.algorithm = header.alg
        switch claims.aud {
        case .one(let audience): self.audiences = [audience]
        case .many(let audiences): self.audiences = audiences
        case nil: self.audiences = []
        }
        self.issuer = claims.iss
        self.expiresOn = expiresOn
        self.notBefore = notBefore
        self.objectID = claims.oid ?? claims.sub
        self.tenantID = claims.tid ?? claims.iss.flatMap(Self.tenant(fromIssuer:))
    }

    /// Throws unless Azure Storage would accept this token's claims for `service` of `account` at `now`.
    func validate(account: String, service: StorageService, now: Int64) throws(BearerTokenError) {
        guard now <= self.expiresOn + Self.clockSkew else { throw .expired }
        if let notBefore = self.notBefore, now + Self.clockSkew < notBefore { throw .notYetValid }
        guard let issuer = self.issuer, Self.isHTTPSURL(issuer) else { throw .issuer }
        guard self.audiences.contains(where: { Self.isStorageAudience($0, account: account, service: service) }) else {
            throw .audience
        }
    }

    /// Whether `audience` names Azure Storage, or `account`'s endpoint of `service`.
    static func isStorageAudience(_ audience: String, account: String, service: StorageService) -> Bool {
        if Self.storageAudiences.contains(audience) { return true }
        var host = Substring(audience)
        guard host.hasPrefix("https://") else { return false }
        host = host.dropFirst("https://".count)
        if host.hasSuffix("/") { host = host.dropLast() }
        let services = service == .blob ? ["blob", "dfs"] : ["queue"]
        return services.contains { service in
            Self.endpointSuffixes.contains { host == "\(account).\(service).\($0)" }
        }
    }

    /// A tenant ID fit for a response header (letters, digits, `-`, `.`), or nil.
    var headerSafeTenantID: String? {
        guard let tenant = self.tenantID, (1...64).contains(tenant.utf8.count),
            tenant.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || Self.isAlphanumeric($0) })
        else { return nil }
        return tenant
    }

    // MARK: Parsing helpers

    private struct Header: Decodable {
        let alg: String
    }

    private struct Claims: Decodable {
        let aud: Audience?
        let iss: String?
        let exp: Double?
        let nbf: Double?
        let oid: String?
        let sub: String?
        let tid: String?
    }

    private enum Audience: Decodable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                self = .one(one)
            } else {
                self = .many(try container.decode([String].self))
            }
        }
    }

    /// Decodes base64url (RFC 4648 section 5), with or without `=` padding; nil for anything else.
    static func base64URLDecode(_ text: some StringProtocol) -> Data? {
        var body = Substring(text)
        var padding = 0
        while body.last == "=", padding < 2 {
            body.removeLast()
            padding += 1
        }
        guard body.utf8.count % 4 != 1 else { return nil }
        var standard = ""
        standard.reserveCapacity(body.utf8.count + 3)
        for byte in body.utf8 {
            switch byte {
            case UInt8(ascii: "-"): standard += "+"
            case UInt8(ascii: "_"): standard += "/"
            case _ where Self.isAlphanumeric(byte): standard.unicodeScalars.append(Unicode.Scalar(byte))
            default: return nil
            }
        }
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Base64.decode(standard).map { Data($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A NumericDate (seconds since 1970, possibly fractional) as whole seconds, if it is a plausible time.
    private static func seconds(_ value: Double) -> Int64? {
        guard value.isFinite, abs(value) < 1e13 else { return nil }
        return Int64(value.rounded(.down))
    }

    private static func isHTTPSURL(_ text: String) -> Bool {
        guard text.hasPrefix("https://") else { return false }
        let host = text.dropFirst("https://".count).prefix { $0 != "/" }
        return !host.isEmpty
    }

    /// `TENANT` from `https://sts.windows.net/TENANT/` or `https://login.microsoftonline.com/TENANT/v2.0`.
    private static func tenant(fromIssuer issuer: String) -> String? {
        guard Self.isHTTPSURL(issuer) else { return nil }
        let segments = issuer.dropFirst("https://".count).split(separator: "/")
        return segments.count >= 2 ? String(segments[1]) : nil
    }
}
