#!/bin/sh
# Regenerates the service files embedded at the end of install.sh from packaging/ (one file to
# download; test/integration/install.test.ts checks they are equal).
set -eu
cd "$(dirname "$0")/.."
head=$(sed '/^# --- service files (packaging\/) ---$/,$d' install.sh)
{
	printf '%s\n\n# --- service files (packaging/) ---\n' "$head"
	for kind in systemd_unit:POLLECT_SYSTEMD_UNIT:service openrc_script:POLLECT_OPENRC_SCRIPT:openrc procd_script:POLLECT_PROCD_SCRIPT:procd; do
		fn=${kind%%:*}
		rest=${kind#*:}
		tag=${rest%%:*}
		ext=${rest#*:}
		printf '\n%s() {\n\tcat <<'"'"'%s'"'"'\n' "$fn" "$tag"
		cat "packaging/pollect.$ext"
		printf '%s\n}\n' "$tag"
	done
	printf '\nmain "$@"\n'
} >install.sh.new
chmod 755 install.sh.new
mv install.sh.new install.sh
