"""Prints one closing line summing the pytest JUnit reports of every backend.

Usage: python .ci/summarize.py REPORT.xml [REPORT.xml ...]
A missing report counts as a failure, so a backend that never ran is visible.
"""

import sys
import xml.etree.ElementTree as ElementTree


def counts(path):
    suite = ElementTree.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            p, f, s = counts(path)
        except (OSError, ElementTree.ParseError) as error:
            print(f"{path}: no report ({error})")
            failed += 1
            continue
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")


if __name__ == "__main__":
    main(sys.argv[1:])
