#!/usr/bin/env bash
# deps.sh: install what the local stack and the tests need on a fresh Debian machine that
# has Go, Java 17 and Maven. Idempotent and quiet when everything is there already.
#
#   Debian packages: postgresql (server), chromium (browser tests), docker-compose (to
#                    validate docker-compose.yml; no engine is needed),
#                    prometheus-alertmanager (alert delivery tests and the demo) and
#                    prometheus (its promtool checks the shipped alerting rules)
#   RocketMQ jars:   the versions in scripts/rocketmq/versions, into a cache outside the repo
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v promtool >/dev/null || need+=(prometheus)
if ((${#need[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps.sh: missing Debian packages: ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
		exit 1
	fi
	echo "deps.sh: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	# Debian starts a system cluster on 5432 when it installs the server; the project runs
	# its own throwaway clusters and does not need that one.
	if command -v pg_lsclusters >/dev/null; then
		pg_lsclusters -h 2>/dev/null | while read -r ver name _; do
			pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
		done
	fi
	# Likewise the Prometheus and Alertmanager services the packages may start on 9090 and
	# 9093: tests and the demo run their own, on free ports.
	for svc in prometheus prometheus-alertmanager; do
		if [[ -x /etc/init.d/$svc ]]; then
			/etc/init.d/"$svc" stop >/dev/null 2>&1 || true
		fi
	done
fi

for tool in java mvn go npm; do
	command -v "$tool" >/dev/null || { echo "deps.sh: $tool not found: install it first (see README)" >&2; exit 1; }
done

while read -r version; do
	[[ -z $version || $version == \#* ]] && continue
	scripts/rocketmq/fetch.sh "$version" >/dev/null
done < scripts/rocketmq/versions
