#!/bin/sh
# The `format` test: every C file git tracks is as .clang-format lays it
# out (the tree was formatted once; this keeps it so). Names each file
# that is not, with the command that fixes it. Exit 77 (ctest: skipped,
# said on the output) when clang-format or git is missing.
set -u
root=$1
cd "$root" || exit 2
if ! command -v clang-format >/dev/null 2>&1; then
    echo "tracebench: skipped: clang-format is not installed" \
         "(apt-get install clang-format)"
    exit 77
fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "tracebench: skipped: $root is not a git checkout"
    exit 77
fi
bad=0
for f in $(git ls-files '*.c' '*.h'); do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (clang-format -i $f)"
        bad=$((bad + 1))
    fi
done
echo "$bad file(s) not formatted"
[ "$bad" -eq 0 ]
