#!/usr/bin/env python3
"""Checks the CI files we write: every command of every `run:` step (GitHub)
or `script:` item (GitLab) is a make target that exists (`make -n TARGET`)
or a tracebench command that exists (`tracebench CMD --help`), and the
matrix's clients are the registry's (clients/clients.json).

A line-based reader, not a YAML parser: it reads the two files we write, in
the forms we write them (`run: cmd`, `- cmd` under `script:`, `client: [..]`
or `- CLIENT: [..]`). Usage: check_ci_files.py ROOT TRACEBENCH_BINARY"""
import json
import os
import re
import shlex
import subprocess
import sys

ROOT, TRACEBENCH = sys.argv[1], sys.argv[2]
FILES = [".github/workflows/regress.yml", ".gitlab-ci.yml"]
# Values a matrix variable stands for while dry-running.
SUBST = {"matrix.client": "c", "matrix.profile": "quick", "CLIENT": "c",
         "PROFILE": "quick"}
errors = []


def commands(path):
    """(line number, command) of every run: step and script: item."""
    out, in_script = [], False
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            m = re.match(r"-?\s*run:\s*(.*)$", s)
            if m:
                if m.group(1) in ("|", ">", ""):
                    errors.append(f"{path}:{n}: write run: on one line")
                else:
                    out.append((n, m.group(1)))
                in_script = False
                continue
            if re.match(r"script:\s*$", s):
                in_script = True
                continue
            if in_script and s.startswith("- "):
                out.append((n, s[2:]))
            elif in_script and s and not s.startswith("#"):
                in_script = False
    return out


def expand(cmd):
    cmd = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}",
                 lambda m: SUBST.get(m.group(1), "x"), cmd)
    return re.sub(r"\$(\w+)", lambda m: SUBST.get(m.group(1), "x"), cmd)


def check(path, n, cmd):
    words = shlex.split(expand(cmd))
    where = f"{path}:{n}: {cmd}"
    if words and words[0] == "make":
        targets = [w for w in words[1:] if "=" not in w and
                   not w.startswith("-")]
        assigns = [w for w in words[1:] if "=" in w]
        if not targets:
            targets = ["all"]
        for t in targets:
            r = subprocess.run(["make", "-n", "-C", ROOT, t] + assigns,
                               capture_output=True, text=True)
            if r.returncode != 0:
                errors.append(f"{where}: make -n {t} failed: "
                              f"{r.stderr.strip()[-300:]}")
    elif words and os.path.basename(words[0]) == "tracebench":
        if len(words) < 2:
            errors.append(f"{where}: no tracebench command")
            return
        r = subprocess.run([TRACEBENCH, words[1], "--help"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            errors.append(f"{where}: tracebench {words[1]} --help exited "
                          f"{r.returncode}")
    else:
        errors.append(f"{where}: not a make target or tracebench command")


def matrix_clients(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*-?\s*(client|CLIENT):\s*\[(.*)\]", line)
            if m:
                return [c.strip() for c in m.group(2).split(",")]
    return None


registry = list(json.load(open(os.path.join(ROOT, "clients/clients.json"))))
checked = 0
for rel in FILES:
    path = os.path.join(ROOT, rel)
    if not os.path.exists(path):
        errors.append(f"{rel}: missing")
        continue
    for n, cmd in commands(path):
        check(rel, n, cmd)
        checked += 1
    clients = matrix_clients(path)
    if clients != registry:
        errors.append(f"{rel}: matrix clients {clients} are not the "
                      f"registry's {registry} (clients/clients.json)")
for e in errors:
    print("ci_files: " + e)
print(f"ci_files: {checked} commands checked in {len(FILES)} files, "
      f"{len(errors)} problems")
sys.exit(1 if errors else 0)
