import Foundation
import StorageAuth
import Testing

/// StorageAuth against the official Azure SDK for Python (azure-storage-blob and
/// azure-storage-queue), case by case: the SDK's own `SharedKeyCredentialPolicy` and
/// `generate_*_sas` functions compute every expected value, through
/// `Tests/Interop/tools/sdk_signatures.py`, run once for all cases.
@Suite(
    .enabled(
        if: PythonSDKSigner.isAvailable,
        "needs the Python SDKs in .venv: run scripts/setup.sh (scripts/test.sh always does)"
    )
)
struct SDKCrossCheckTests {
    /// The SDK's results for every case, by case name.
    static let sdk: Result<[String: PythonSDKSigner.Result], PythonSDKSigner.Failure> = {
        let cases =
            (SharedKeyCrossCheckCase.agreeing + SharedKeyCrossCheckCase.departing).map(\.toolCase)
            + SASCrossCheckCase.all.map(\.toolCase)
        do {
            return .success(try PythonSDKSigner.run(cases))
        } catch let failure as PythonSDKSigner.Failure {
            return .failure(failure)
        } catch {
            return .failure(PythonSDKSigner.Failure(description: "\(error)"))
        }
    }()

    /// The SDK's result for one case, with a recorded issue when there is none.
    static func sdkResult(
        for name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> PythonSDKSigner.Result? {
        switch Self.sdk {
        case .failure(let failure):
            Issue.record("the SDK tool failed: \(failure)", sourceLocation: sourceLocation)
            return nil
        case .success(let results):
            guard let result = results[name] else {
                Issue.record("the SDK tool returned nothing for \(name)", sourceLocation: sourceLocation)
                return nil
            }
            if let error = result.error {
                Issue.record("the SDK raised for \(name): \(error)", sourceLocation: sourceLocation)
                return nil
            }
            return result
        }
    }

    @Test("Shared Key: identical string to sign and Authorization", arguments: SharedKeyCrossCheckCase.agreeing)
    func sharedKeyMatchesTheSDK(_ testCase: SharedKeyCrossCheckCase) throws {
        let sdk = try #require(Self.sdkResult(for: testCase.name))
        let key = testCase.account.key
        let request = testCase.canonicalRequest
        #expect(SharedKeyAuthorization.stringToSign(request, accountName: key.accountName) == sdk.stringToSign)
        #expect(SharedKeyAuthorization.authorization(request, key: key) == sdk.authorization)
    }

    @Test(
        "Shared Key: where the SDK departs from the service, the difference is exactly the known one",
        arguments: SharedKeyCrossCheckCase.departing
    )
    func sharedKeyDepartsFromTheSDKOnlyAsDocumented(_ testCase: SharedKeyCrossCheckCase) throws {
        let sdk = try #require(Self.sdkResult(for: testCase.name))
        let departure = try #require(testCase.departure)
        let key = testCase.account.key
        let ours = SharedKeyAuthorization.stringToSign(testCase.canonicalRequest, accountName: key.accountName)
        let predicted = departure.apply(to: ours)
        #expect(predicted != ours, "the departure no longer applies: \(departure.reason)")
        #expect(predicted == sdk.stringToSign, "\(departure.reason)")
        #expect("SharedKey \(key.accountName):\(key.signature(for: predicted))" == sdk.authorization)
    }

    @Test("SAS: identical parameters, order and signature", arguments: SASCrossCheckCase.all)
    func sasMatchesTheSDK(_ testCase: SASCrossCheckCase) throws {
        let sdk = try #require(Self.sdkResult(for: testCase.name))
        let version = try #require(sdk.version)
        let sdkItems = try Self.queryItems(try #require(sdk.query))
        let sas = testCase.signed(version: version)
        let accountName = testCase.userDelegationKey?.accountName ?? testCase.account.name

        #expect(sas.stringToSign(scope: testCase.scope, accountName: accountName) == sdk.stringToSign)
        #expect(
            Dictionary(sas.queryItems.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
                == Dictionary(sdkItems.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        )
        #expect(sas.queryItems.map(\.name) == sdkItems.map(\.name))

        // What a server reads back from the SDK's token signs to the same signature.
        var query = sdkItems
        if let snapshot = testCase.fields.snapshotTime {
            query.append((testCase.fields.resource == "bv" ? "versionid" : "snapshot", snapshot))
        }
        let parsed = try #require(SharedAccessSignature(query: query))
        #expect(parsed.signature == sas.signature)
        #expect(parsed.stringToSign(scope: testCase.scope, accountName: accountName) == sdk.stringToSign)
    }

    /// Splits a percent-encoded `name=value&...` query.
    static func queryItems(_ query: String) throws -> [(name: String, value: String)] {
        try query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]) : ""
            return (String(parts[0]), try #require(value.removingPercentEncoding))
        }
    }
}
