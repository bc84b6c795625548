#!/usr/bin/env python3
"""Checks monitoring/ against blobflow itself (scripts/lint.sh runs it after promtool).

- Every PromQL expression in the Grafana dashboard parses: each becomes a recording rule in a
  temporary file (Grafana's $__rate_interval and $instance replaced) for `promtool check rules`.
- Every blobflow_* metric named by the dashboard or the alerting rules is one the README's metric
  table documents, so a renamed metric cannot leave a panel or an alert silently empty.
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
dashboard = json.loads((root / "monitoring/grafana/blobflow-dashboard.json").read_text())
rules_text = (root / "monitoring/prometheus/blobflow-alerts.yml").read_text()
readme = (root / "README.md").read_text()

expressions = []
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        expressions.append((panel["title"], target["expr"]))
for variable in dashboard["templating"]["list"]:
    query = variable.get("definition", "")
    match = re.fullmatch(r"label_values\((\w+),\s*\w+\)", query)
    if match:
        expressions.append((variable["name"], match.group(1)))

problems = []
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
    handle.write("groups:\n  - name: dashboard\n    rules:\n")
    for index, (_, expr) in enumerate(expressions):
        concrete = expr.replace("$__rate_interval", "5m").replace("$instance", ".*")
        handle.write(f"      - record: dashboard:panel{index}\n        expr: {json.dumps(concrete)}\n")
    rule_file = handle.name
result = subprocess.run(["promtool", "check", "rules", rule_file], capture_output=True, text=True)
Path(rule_file).unlink()
if result.returncode != 0:
    problems.append("a dashboard expression does not parse:\n" + result.stdout + result.stderr)

documented = set(re.findall(r"^\| `(blobflow_\w+)", readme, re.M))
suffixes = ("_bucket", "_sum", "_count")
def base(name):
    for suffix in suffixes:
        if name.endswith(suffix) and name[: -len(suffix)] in documented:
            return name[: -len(suffix)]
    return name
used = {}
for where, text in [("dashboard", json.dumps(dashboard)), ("alerting rules", rules_text)]:
    for name in re.findall(r"\bblobflow_[a-z_]+\b", text):
        used.setdefault(base(name), set()).add(where)
for name, places in sorted(used.items()):
    if name not in documented:
        problems.append(f"{name} (used by the {' and '.join(sorted(places))}) is not in the README's metric table")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{len(expressions)} dashboard expressions parse; {len(used)} metrics used, all documented")
