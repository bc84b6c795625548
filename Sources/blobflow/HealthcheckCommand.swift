import ArgumentParser
import Foundation
import StorageHTTP

/// `blobflow healthcheck`: for a container HEALTHCHECK without curl in the image. Exits 0 when
/// the local `/healthz` answers 200, or when the operations endpoints are off.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract:
            "Exit 0 if this container's blobflow reports healthy on BLOBFLOW_HTTP_PORT (or the endpoints are off)."
    )

    @Option(help: ArgumentHelp("Port to ask (default: BLOBFLOW_HTTP_PORT).", valueName: "port"))
    var port: Int?

    func run() async throws {
        guard let port = self.port ?? ProcessInfo.processInfo.environment["BLOBFLOW_HTTP_PORT"].flatMap({ Int($0) })
        else {
            print("healthy: the operations endpoints are off (BLOBFLOW_HTTP_PORT is not set)")
            return
        }
        var configuration = CurlTransport.Configuration()
        configuration.connectTimeout = .seconds(2)
        configuration.requestTimeout = .seconds(5)
        let transport = try CurlTransport(configuration: configuration)
        do {
            let response = try await transport.execute(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz")
            )
            let body = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            print(body)
            if response.status != 200 { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("unhealthy: \(error)")
            throw ExitCode(1)
        }
    }
}
