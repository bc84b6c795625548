"""Signs requests and builds SAS tokens with the official Azure SDK for Python.

blobflow's StorageAuth tests (Tests/StorageAuthTests/SDKCrossCheckTests.swift) send the same
cases here and expect identical results. Everything is computed by the SDK's own code:

- Shared Key: an `azure.core.rest.HttpRequest` (what the SDK's generated operations build) run
  through the SDK's `SharedKeyCredentialPolicy.on_request`, the blob package's for blob cases
  and the queue package's for queue cases.
  Only the policy runs, not the rest of the pipeline: each case carries its own x-ms-date (the
  SDK's StorageHeadersPolicy would add one) and azure-core adds Content-Length only for a
  non-empty body, so "Content-Length: 0" is tested by passing that header explicitly.
- SAS: `generate_blob_sas`, `generate_container_sas`, `generate_account_sas` (blob and queue) and
  `generate_queue_sas`, with an account key or a `UserDelegationKey`.

Input (stdin): a JSON list of cases. Every case has `id`, `kind` and `account`; all but user
delegation cases have `key`.

    {"kind": "sharedKey", "service": "blob"|"queue", "method": "PUT", "url": "http://...",
     "headers": [["x-ms-date", "..."], ...], "body": "text sent as UTF-8, optional"}
    {"kind": "blobSAS", "container": "c", "blob": "b", ...SAS fields}
    {"kind": "containerSAS", "container": "c", ...}
    {"kind": "queueSAS", "queue": "q", ...}
    {"kind": "accountSAS", "service": "blob"|"queue", "services": "bq", "resourceTypes": "sco", ...}
    {"kind": "userDelegationSAS", "resource": "blob"|"directory"|"container"|"queue",
     "container"/"blob"/"queue", "userDelegationKey": {"signedObjectID": ..., "value": ...}, ...}

SAS fields (all optional strings): permission, expiry, start, ip, protocol, policyID,
cacheControl, contentDisposition, contentEncoding, contentLanguage, contentType,
encryptionScope, snapshot, versionID, correlationID, preauthorizedAgentObjectID,
agentObjectID, delegatedUserObjectID; `directoryDepth` (int) for directory SAS.

Output (stdout): a JSON list, one object per case in input order, with `id` and either
`stringToSign` + `authorization` (Shared Key), `stringToSign` + `query` + `version` (SAS), or
`error` when the SDK raised.

    .venv/bin/python Tests/Interop/tools/sdk_signatures.py < cases.json
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List

from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

import azure.storage.blob as blob
import azure.storage.queue as queue
from azure.storage.blob._shared import authentication as blob_authentication
from azure.storage.blob._shared import constants as blob_constants
from azure.storage.queue._shared import authentication as queue_authentication
from azure.storage.queue._shared import constants as queue_constants

SHARED_KEY_POLICIES = {
    "blob": blob_authentication.SharedKeyCredentialPolicy,
    "queue": queue_authentication.SharedKeyCredentialPolicy,
}
SDK_VERSIONS = {"blob": blob_constants.X_MS_VERSION, "queue": queue_constants.X_MS_VERSION}


def shared_key(case: Dict[str, Any]) -> Dict[str, Any]:
    """Runs the SDK's Shared Key policy on the request and captures what it signed."""
    body = case.get("body")
    request = HttpRequest(
        case["method"],
        case["url"],
        headers=dict(case.get("headers", [])),
        content=body.encode("utf-8") if body is not None else None,
    )
    policy = SHARED_KEY_POLICIES[case["service"]](case["account"], case["key"])
    signed: List[str] = []
    sign = policy._add_authorization_header

    def capture(pipeline_request: PipelineRequest, string_to_sign: str) -> None:
        signed.append(string_to_sign)
        sign(pipeline_request, string_to_sign)

    policy._add_authorization_header = capture
    policy.on_request(PipelineRequest(request, PipelineContext(None)))
    return {"stringToSign": signed[0], "authorization": request.headers["Authorization"]}


def user_delegation_key(fields: Dict[str, Any], model: Callable[[], Any]) -> Any:
    key = model()
    key.signed_oid = fields.get("signedObjectID")
    key.signed_tid = fields.get("signedTenantID")
    key.signed_start = fields.get("signedStart")
    key.signed_expiry = fields.get("signedExpiry")
    key.signed_service = fields.get("signedService")
    key.signed_version = fields.get("signedVersion")
    key.signed_delegated_user_tid = fields.get("signedDelegatedUserTenantID")
    key.value = fields.get("value")
    return key


def blob_options(case: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments generate_blob_sas and generate_container_sas share."""
    names = {
        "permission": "permission",
        "expiry": "expiry",
        "start": "start",
        "ip": "ip",
        "protocol": "protocol",
        "policyID": "policy_id",
        "cacheControl": "cache_control",
        "contentDisposition": "content_disposition",
        "contentEncoding": "content_encoding",
        "contentLanguage": "content_language",
        "contentType": "content_type",
        "encryptionScope": "encryption_scope",
        "correlationID": "correlation_id",
        "preauthorizedAgentObjectID": "preauthorized_agent_object_id",
        "agentObjectID": "agent_object_id",
        "delegatedUserObjectID": "user_delegation_oid",
    }
    return {python: case[name] for name, python in names.items() if name in case}


def sas(case: Dict[str, Any]) -> Dict[str, Any]:
    """Builds the SAS token with the matching generate_*_sas function."""
    signed: List[str] = []
    kind = case["kind"]
    account = case["account"]
    if kind == "userDelegationSAS":
        resource = case["resource"]
        if resource == "queue":
            credential = {"user_delegation_key": user_delegation_key(case["userDelegationKey"], queue.UserDelegationKey)}
        else:
            credential = {"user_delegation_key": user_delegation_key(case["userDelegationKey"], blob.UserDelegationKey)}
    else:
        resource = {"blobSAS": "blob", "containerSAS": "container", "queueSAS": "queue"}.get(kind)
        credential = {"account_key": case["key"]}

    if kind == "accountSAS":
        package = blob if case["service"] == "blob" else queue
        options = {"protocol": case["protocol"]} if "protocol" in case else {}
        if "encryptionScope" in case:
            options["encryption_scope"] = case["encryptionScope"]
        token = package.generate_account_sas(
            account,
            case["key"],
            resource_types=case["resourceTypes"],
            permission=case["permission"],
            expiry=case["expiry"],
            start=case.get("start"),
            ip=case.get("ip"),
            services=case["services"],
            sts_hook=signed.append,
            **options,
        )
        version = SDK_VERSIONS[case["service"]]
    elif resource == "queue":
        options = {"protocol": case["protocol"]} if "protocol" in case else {}
        if "delegatedUserObjectID" in case:
            options["user_delegation_oid"] = case["delegatedUserObjectID"]
        token = queue.generate_queue_sas(
            account,
            case["queue"],
            permission=case.get("permission"),
            expiry=case.get("expiry"),
            start=case.get("start"),
            policy_id=case.get("policyID"),
            ip=case.get("ip"),
            sts_hook=signed.append,
            **credential,
            **options,
        )
        version = SDK_VERSIONS["queue"]
    elif resource == "container":
        token = blob.generate_container_sas(
            account, case["container"], sts_hook=signed.append, **credential, **blob_options(case)
        )
        version = SDK_VERSIONS["blob"]
    elif resource in ("blob", "directory"):
        options = blob_options(case)
        if "versionID" in case:
            options["version_id"] = case["versionID"]
        if resource == "directory":
            options["is_directory"] = True
            if "directoryDepth" in case:
                options["sdd"] = case["directoryDepth"]
        token = blob.generate_blob_sas(
            account,
            case["container"],
            case["blob"],
            snapshot=case.get("snapshot"),
            sts_hook=signed.append,
            **credential,
            **options,
        )
        version = SDK_VERSIONS["blob"]
    else:
        raise ValueError(f"unknown SAS case kind {kind!r} / resource {resource!r}")
    return {"stringToSign": signed[0], "query": token, "version": version}


def run(case: Dict[str, Any]) -> Dict[str, Any]:
    try:
        result = shared_key(case) if case["kind"] == "sharedKey" else sas(case)
    except Exception as error:  # pylint: disable=broad-except
        result = {"error": f"{type(error).__name__}: {error}"}
    return {"id": case["id"], **result}


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([run(case) for case in cases], sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
