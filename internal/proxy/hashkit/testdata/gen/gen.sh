#!/bin/sh
# Regenerates ../hashes.txt and ../placement.txt from twemproxy's C sources.
# Usage: ./gen.sh [path to twemproxy checkout]   (default /work/ref_twemproxy)
set -e
src=${1:-/work/ref_twemproxy}/src/hashkit
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -O2 -fno-strict-aliasing as nutcracker's build uses; plain x86-64, no FMA.
gcc -O2 -fno-strict-aliasing -w -I"$here/include" -I"$src" -o "$tmp/gen" "$here/gen.c" "$src"/*.c -lm
"$tmp/gen" hashes >"$here/../hashes.txt"
"$tmp/gen" >"$here/../placement.txt"
