#!/usr/bin/env bash
# fetch.sh VERSION: resolve the Apache RocketMQ name server, broker and tools jars (and for 5.x
# the proxy's) for VERSION into
# ${LAGBOARD_CACHE:-$HOME/.cache/lagboard}/rocketmq/VERSION/lib, unless they are already there,
# and print that directory. internal/stack reads the jars from it. The logback files in
# scripts/rocketmq/conf are copied to VERSION/conf beside it every time (a fallback for
# programs run outside the repository).
#
# Idempotent: a complete copy is marked with lib/.complete and left alone. A copy is built in a
# temporary directory and moved into place, so an interrupted run leaves nothing half done.
# Needs Maven; the versions the project uses are in scripts/rocketmq/versions. 4.9.8, the last
# 4.x release, was never published as Maven artifacts; 4.9.7 is the newest 4.x that was.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
	echo "usage: $0 VERSION   (e.g. 5.3.3 or 4.9.7)" >&2
	exit 2
fi
version=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${LAGBOARD_CACHE:-$HOME/.cache/lagboard}
dest=$cache/rocketmq/$version/lib

# The proxy (gRPC clients, local mode) exists from 5.0 on.
jars=(namesrv broker tools)
profile=()
if [[ $version == 5.* ]]; then
	jars+=(proxy)
	profile=(-Pproxy)
fi

complete() {
	[[ -f $1/.complete ]] || return 1
	for jar in "${jars[@]}"; do
		[[ -f $1/rocketmq-$jar-$version.jar ]] || return 1
	done
}

mkdir -p "$cache/rocketmq/$version/conf"
cp -f "$here"/conf/*.xml "$cache/rocketmq/$version/conf/"

if complete "$dest"; then
	echo "$dest"
	exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn not found; install Maven 3" >&2; exit 1; }

tmp=$(mktemp -d "$cache/rocketmq/$version/lib.tmp.XXXXXX")
chmod 755 "$tmp"
log=$cache/rocketmq/$version/fetch.log
trap 'rm -rf "$tmp"' EXIT

echo "fetch.sh: resolving RocketMQ $version jars (log: $log)" >&2
if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" -Drocketmq.version="$version" "${profile[@]}" \
	dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "fetch.sh: could not resolve the RocketMQ $version jars (${jars[*]})" >&2
	exit 1
fi
touch "$tmp/.complete"
if ! complete "$tmp"; then
	echo "fetch.sh: Maven finished but some of the $version jars (${jars[*]}) are missing from $tmp" >&2
	exit 1
fi
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$dest"
