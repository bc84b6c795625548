"""OpenTelemetry export of `blobflow run` (OTLP over HTTP, configured by the standard OTEL_*
variables): a small OTLP/HTTP receiver, decoding with the OpenTelemetry project's own protobuf
definitions, finds for each processed file one trace whose spans name every step and carry the
event id, the metrics counters, and the trace context handed to the app as TRACEPARENT. A SIGTERM
flushes what is pending before exit."""

from __future__ import annotations

import gzip
import http.server
import threading

import pytest

from consumer_support import Harness


class Receiver:
    """An OTLP/HTTP endpoint on 127.0.0.1 that keeps every export request it is sent."""

    def __init__(self):
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        self.spans = []
        self.metrics = []
        self.content_types = set()
        lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with lock:
                    receiver.content_types.add(self.headers.get("Content-Type"))
                    if self.path == "/v1/traces":
                        request = ExportTraceServiceRequest.FromString(body)
                        for rs in request.resource_spans:
                            resource = {a.key: a.value.string_value for a in rs.resource.attributes}
                            for ss in rs.scope_spans:
                                for span in ss.spans:
                                    receiver.spans.append((resource, span))
                    elif self.path == "/v1/metrics":
                        request = ExportMetricsServiceRequest.FromString(body)
                        for rm in request.resource_metrics:
                            for sm in rm.scope_metrics:
                                receiver.metrics.extend(sm.metrics)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def attributes(span) -> dict:
    out = {}
    for a in span.attributes:
        v = a.value
        out[a.key] = v.string_value if v.HasField("string_value") else v.int_value if v.HasField("int_value") else v
    return out


def counter(metrics, name: str) -> float:
    """The latest total of a counter across its data points (cumulative temporality)."""
    latest = {}
    for m in metrics:
        if m.name != name or not m.HasField("sum"):
            continue
        for p in m.sum.data_points:
            key = tuple(sorted((a.key, a.value.string_value) for a in p.attributes))
            value = p.as_int if p.HasField("as_int") else p.as_double
            latest[key] = value
    return sum(latest.values())


@pytest.mark.timeout(180)
def test_one_trace_per_event_with_every_step_and_the_metrics(devstore_factory, tmp_path):
    receiver = Receiver()
    h = Harness(devstore_factory(), tmp_path / "h")
    try:
        env = h.env("r1")
        env.update({
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
            "OTEL_SERVICE_NAME": "blobflow-telemetry-test",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
        })
        files = {"traced/a.txt": b"first", "traced/b.txt": b"second"}
        c = h.consumer(env=env)
        h.upload(files)
        h.wait_completed(files, timeout=90, running=[c])
        # SIGTERM: the exporters stop last and flush the final spans and metrics.
        c.stop()

        events = {r["blobName"]: r["eventID"] for r in h.records() if r.get("blobName") in files}
        assert set(events) == set(files)
        roots = [(res, s) for res, s in receiver.spans if s.name == "blobflow.event"]
        assert roots, f"no blobflow.event span among {sorted({s.name for _, s in receiver.spans})}"
        resource = roots[0][0]
        assert resource.get("service.name") == "blobflow-telemetry-test", resource
        assert resource.get("deployment.environment") == "test", resource
        traceparents = dict(line.split("\t", 1) for line in (h.ctrl / "traceparents").read_text().splitlines())
        for name, event_id in events.items():
            mine = [s for _, s in roots if attributes(s).get("blobflow.event_id") == event_id]
            assert len(mine) == 1, f"{name}: {len(mine)} event spans"
            root = mine[0]
            attrs = attributes(root)
            assert attrs.get("blobflow.blob") == f"input/{name}", attrs
            assert attrs.get("blobflow.outcome") == "completed", attrs
            assert attrs.get("blobflow.bytes") == len(files[name]), attrs
            assert attrs.get("blobflow.attempt") == 1, attrs
            in_trace = [s for _, s in receiver.spans if s.trace_id == root.trace_id]
            names = {s.name for s in in_trace}
            for step in ("decode", "claim", "download", "run", "upload", "acknowledge"):
                assert step in names, f"{name}: no {step!r} span in its trace ({sorted(names)})"
            run = next(s for s in in_trace if s.name == "run")
            assert attributes(run).get("process.exit.code") == 0
            # The app got the trace context of its event, so its own spans would join this trace.
            version, trace_id, span_id, _flags = traceparents[name].split("-")
            assert version == "00" and trace_id == root.trace_id.hex(), (traceparents[name], root.trace_id.hex())
            assert span_id in {s.span_id.hex() for s in in_trace}, traceparents[name]

        assert counter(receiver.metrics, "blobflow_events_completed_total") == 2
        assert counter(receiver.metrics, "blobflow_events_received_total") >= 2
        assert "application/x-protobuf" in receiver.content_types
    finally:
        h.stop_all()
        receiver.close()


@pytest.mark.timeout(60)
def test_telemetry_is_off_unless_asked_for(devstore_factory, tmp_path):
    h = Harness(devstore_factory(), tmp_path / "h")
    try:
        c = h.consumer()
        h.upload({"quiet/a.txt": b"x"})
        h.wait_completed(["quiet/a.txt"], timeout=60, running=[c])
        c.stop()
        assert not (h.ctrl / "traceparents").exists(), "TRACEPARENT was set without an exporter"
        assert not any("OpenTelemetry" in m for m in c.messages()), c.tail()
    finally:
        h.stop_all()
