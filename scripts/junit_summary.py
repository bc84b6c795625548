#!/usr/bin/env python3
"""Adds up JUnit XML reports into the one line scripts/test.sh ends with.

Usage: junit_summary.py REPORT.xml...

Prints `N passed, M failed` (and `, K skipped` when some were skipped). A report that is
missing or unreadable counts as one failure of its own: a suite that crashed before writing
its report must not pass silently. Uses only the standard library, so it runs before and
without the test virtual environment.
"""
import sys
import xml.etree.ElementTree as ET


def count(path):
    """(passed, failed, skipped) of one report, or None when it cannot be read."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(argv):
    passed = failed = skipped = 0
    for path in argv:
        counts = count(path)
        if counts is None:
            print(f"test summary: no readable report at {path}: counted as one failure", file=sys.stderr)
            failed += 1
            continue
        passed, failed, skipped = passed + counts[0], failed + counts[1], skipped + counts[2]
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
