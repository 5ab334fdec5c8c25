#!/usr/bin/env python3
"""Every module a target imports must be one of its declared dependencies (Package.swift).

SwiftPM's --explicit-target-dependency-import-check only flags imports of targets outside the transitive closure,
so an import that happens to resolve through another dependency goes unnoticed; this check reads each target's
sources and its declared dependencies (`swift package dump-package`) and fails on any undeclared import.
Usage: scripts/check-imports.py [package directory]   (exit 1 and one line per problem)."""
import json, os, re, subprocess, sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
system = {"Foundation", "FoundationXML", "FoundationNetworking", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch", "Testing", "XCTest",
          "Synchronization", "_Concurrency", "Swift"}
package = json.loads(subprocess.check_output(["swift", "package", "dump-package"], cwd=root, text=True))
problems = []
pattern = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|public\s+|package\s+|internal\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)
for target in package["targets"]:
    if target["type"] == "system":
        continue
    name = target["name"]
    path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
    declared = set()
    for d in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in d:
                declared.add(d[kind][0])
    for directory, _, files in os.walk(os.path.join(root, path)):
        for f in files:
            if not f.endswith(".swift"):
                continue
            text = open(os.path.join(directory, f), encoding="utf-8").read()
            for module in pattern.findall(text):
                if module not in system and module not in declared and module != name:
                    problems.append(f"{os.path.join(directory, f)}: target {name} imports {module} without declaring it in Package.swift")
for p in sorted(set(problems)):
    print(p)
sys.exit(1 if problems else 0)
