#!/bin/sh
# wine-node.sh WINE NODE_EXE ARGS...: runs Windows Node under wine with its output
# going through a file, because node.exe under wine cannot write to a pipe (stdout
# fails with EBADF), and test runners read their children through pipes.
wine=$1
node=$2
shift 2
out=$(mktemp)
"$wine" "$node" "$@" >"$out" 2>&1 </dev/null
rc=$?
cat "$out"
rm -f "$out"
exit $rc
