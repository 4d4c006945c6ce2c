"""Judges a checkov report of the synthesized stacks: every failed check must be fixed or suppressed with a reason.

checkov's `checkov:skip` comments work only in HCL; for the synthesized JSON a suppression is the resource's
"//" -> "checkov:skip" -> {CHECK_ID: reason} entry, written by constructs/checkov.ts next to the resource. This
script reads those entries straight from each resource and accepts a failed check only when its resource lists it.
Open-source checkov reports no severities, so every failed check counts, whatever its severity would be.

Usage: scan_report.py REPORT.json   (checkov -o json output, one framework or a list of them)
Exit: 0 when nothing failed unsuppressed, 1 otherwise, 2 when the report cannot be read.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache

SKIP_KEY = "checkov:skip"
NAME_LINE = re.compile(r'^(\s*)"([^"]+)":\s*\{\s*$')


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    stack_file: str
    resource_type: str
    resource_name: str
    construct_path: str
    suppression: str | None


@lru_cache(maxsize=None)
def load_stack(path: str) -> tuple[dict, list[str]]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return json.loads(text), text.splitlines()


def locate_resource(path: str, start_line: int) -> tuple[str, str, str]:
    """The block type (e.g. aws_s3_bucket) and name of the entity checkov reported at start_line (1-based): the
    name line, then the nearest less-indented `"type": {` line above it, inside "resource" or "data"."""
    _, lines = load_stack(path)
    match = NAME_LINE.match(lines[start_line - 1])
    if not match:
        raise ValueError(f"{path}:{start_line} does not start a block: {lines[start_line - 1].strip()!r}")
    indent, name = len(match.group(1)), match.group(2)
    found_type = None
    for line in reversed(lines[: start_line - 1]):
        outer = NAME_LINE.match(line)
        if outer and len(outer.group(1)) < indent:
            if found_type is None:
                found_type, indent = outer.group(2), len(outer.group(1))
            else:
                return outer.group(2), found_type, name
    raise ValueError(f"{path}:{start_line}: cannot find the block type of {name!r}")


def resource_comment(path: str, kind: str, resource_type: str, name: str) -> dict:
    document, _ = load_stack(path)
    block = document.get(kind, {}).get(resource_type, {}).get(name, {})
    comment = block.get("//", {}) if isinstance(block, dict) else {}
    return comment if isinstance(comment, dict) else {}


def findings_from_report(report) -> tuple[list[Finding], int]:
    reports = report if isinstance(report, list) else [report]
    findings, passed = [], 0
    for framework_report in reports:
        results = framework_report.get("results", {})
        passed += len(results.get("passed_checks", []))
        for record in results.get("failed_checks", []):
            path = record["file_abs_path"]
            kind, resource_type, name = locate_resource(path, record["file_line_range"][0])
            comment = resource_comment(path, kind, resource_type, name)
            skips = comment.get(SKIP_KEY, {})
            reason = skips.get(record["check_id"]) if isinstance(skips, dict) else None
            findings.append(Finding(
                check_id=record["check_id"],
                check_name=record.get("check_name", ""),
                stack_file=record.get("file_path", path),
                resource_type=resource_type,
                resource_name=name,
                construct_path=comment.get("metadata", {}).get("path", ""),
                suppression=reason if isinstance(reason, str) and reason.strip() else None,
            ))
    return findings, passed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: scan_report.py REPORT.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as handle:
            report = json.load(handle)
        findings, passed = findings_from_report(report)
    except (OSError, ValueError, KeyError) as error:
        print(f"scan_report: cannot read the checkov report {argv[0]}: {error}", file=sys.stderr)
        return 2
    failed = [f for f in findings if f.suppression is None]
    suppressed = [f for f in findings if f.suppression is not None]
    for finding in suppressed:
        print(f"SUPPRESSED {finding.check_id} {finding.stack_file} {finding.resource_type}.{finding.resource_name}"
              f" ({finding.construct_path}): {finding.suppression}")
    for finding in failed:
        print(f"FAILED     {finding.check_id} {finding.stack_file} {finding.resource_type}.{finding.resource_name}"
              f" ({finding.construct_path}): {finding.check_name}")
    if failed:
        print("Fix each FAILED check in the construct that creates the resource, or suppress it there with "
              "suppressCheckovCheck(resource, CHECK_ID, reason) from constructs/checkov.ts.")
    print(f"scan: {passed} passed, {len(failed)} failed, {len(suppressed)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
