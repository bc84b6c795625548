import HTTPTypes
import Hummingbird
import NIOCore
import StorageCore
import StorageXML

/// Builders for responses with the headers every Azure Storage response carries.
enum StorageResponse {
    static let serverName = "blobflow-devstore"
    static let responseVersion = "2025-11-05"

    static func headers(requestID: String, version: String?) -> HTTPFields {
        var headers = HTTPFields()
        headers[.xMsRequestID] = requestID
        headers[.xMsVersion] = version ?? Self.responseVersion
        headers[.date] = StorageDate.now().rfc1123
        headers[.server] = Self.serverName
        return headers
    }

    static func empty(
        _ status: HTTPResponse.Status,
        _ request: StorageRequest,
        headers extra: HTTPFields = [:]
    ) -> Response {
        var headers = Self.headers(requestID: request.requestID, version: request.header("x-ms-version"))
        headers.append(contentsOf: extra)
        if headers[.contentLength] == nil { headers[.contentLength] = "0" }
        return Response(status: status, headers: headers, body: ResponseBody())
    }

    static func xml(
        _ status: HTTPResponse.Status,
        _ request: StorageRequest,
        _ body: String,
        headers extra: HTTPFields = [:]
    ) -> Response {
        var headers = Self.headers(requestID: request.requestID, version: request.header("x-ms-version"))
        headers.append(contentsOf: extra)
        let buffer = ByteBuffer(string: body)
        headers[.contentType] = "application/xml"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(
            status: status,
            headers: headers,
            body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: buffer)
        )
    }

    static func error(
        _ error: StorageServiceError,
        requestID: String,
        method: HTTPRequest.Method,
        version: String?
    ) -> Response {
        var headers = Self.headers(requestID: requestID, version: version)
        headers.append(contentsOf: error.headers)
        headers[.xMsErrorCode] = error.code
        let message = "\(error.message)\nRequestId:\(requestID)\nTime:\(StorageDate.now().iso8601())"
        var body =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>\(error.code)</Code><Message>"
            + XMLEscaping.escape(message) + "</Message>"
        for element in error.detailElements {
            body += "<\(element.name)>" + XMLEscaping.escape(element.text) + "</\(element.name)>"
        }
        body += "</Error>"
        let buffer = ByteBuffer(string: body)
        headers[.contentType] = "application/xml"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(
            status: error.status,
            headers: headers,
            body: method == .head ? ResponseBody() : ResponseBody(byteBuffer: buffer)
        )
    }
}

extension HTTPField.Name {
    static let xMsRequestID = Self("x-ms-request-id")!
    static let xMsClientRequestID = Self("x-ms-client-request-id")!
    static let xMsVersion = Self("x-ms-version")!
    static let xMsErrorCode = Self("x-ms-error-code")!
    static let xMsDate = Self("x-ms-date")!
}

/// A tiny XML writer for response bodies.
struct XMLBuilder {
    var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        self.text += "<" + name
        for (key, value) in attributes {
            self.text += " " + key + "=\"" + XMLEscaping.escape(value) + "\""
        }
        self.text += ">"
    }

    mutating func close(_ name: String) {
        self.text += "</" + name + ">"
    }

    /// `<name>escaped</name>`, or `<name />` when the value is empty.
    mutating func element(_ name: String, _ value: String?) {
        guard let value, !value.isEmpty else {
            self.text += "<" + name + " />"
            return
        }
        self.text += "<" + name + ">" + XMLEscaping.escape(value) + "</" + name + ">"
    }

    mutating func element(_ name: String, _ value: some BinaryInteger) {
        self.text += "<" + name + ">" + String(value) + "</" + name + ">"
    }
}
