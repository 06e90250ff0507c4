#!/usr/bin/env python3
"""Adds up the results of tools/test: JUnit XML from GoogleTest and pytest, the fuzz table,
and steps that could not run at all. Prints the failures and a final line "N passed, N failed";
exits 1 if anything failed or nothing ran."""
import pathlib
import sys
import xml.etree.ElementTree as ET


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    passed = failed = 0
    names = []
    for suite in suites:
        for case in suite.iter("testcase"):
            bad = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None or case.get("result") == "skipped"
            if bad or skipped:
                # A skipped test hides a missing component: it counts as a failure here.
                failed += 1
                names.append(f"{case.get('classname')}.{case.get('name')}"
                             + (" (skipped)" if skipped and not bad else ""))
            else:
                passed += 1
    return passed, failed, names


def main():
    results = pathlib.Path(sys.argv[1])
    passed = failed = 0
    failures = []
    for xml in sorted(results.glob("*.xml")):
        p, f, names = junit_counts(xml)
        passed += p
        failed += f
        failures += [f"{xml.stem}: {n}" for n in names]
    fuzz = results / "fuzz.tsv"
    if fuzz.exists():
        for line in fuzz.read_text().splitlines():
            target, status, execs, seconds = line.split("\t")
            print(f"fuzz {target}: {status}, {execs} executions in {seconds}s")
            if status == "ok":
                passed += 1
            else:
                failed += 1
                failures.append(f"fuzz: {target} ({status})")
    broken = results / "broken.txt"
    if broken.exists():
        for line in broken.read_text().splitlines():
            failed += 1
            failures.append(f"step: {line}")
    for f in failures:
        print(f"FAILED {f}")
    diagnostics = results / "diagnostics.txt"
    if failed and diagnostics.exists():
        # Last, so a log that keeps only its end still says what the nodes looked like.
        print(diagnostics.read_text().rstrip())
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
