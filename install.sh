#!/bin/sh
# pollect installer: downloads the pollect binary for this machine from a release, checks its
# sha256, installs it with a default config and a service (systemd, OpenRC or OpenWrt's procd).
#
#   curl -fsSL https://github.com/davidgiga1993/pollect/releases/latest/download/install.sh | sh
#   ... | sh -s -- --uninstall        (removes what it installed, keeps /etc/pollect)
#
# Settings (environment):
#   POLLECT_VERSION      release to install, e.g. 0.1.0 (default: the latest release)
#   POLLECT_BASE_URL     where pollect-<target> and SHA256SUMS are (default: that GitHub release)
#   POLLECT_INSTALL_DIR  where the binary goes (default: /usr/local/bin)
#   POLLECT_CONFIG_DIR   where config.json goes (default: /etc/pollect); never overwritten
#   POLLECT_NO_SERVICE   1: install no service
#   POLLECT_TARGET       skip detection, e.g. linux-x64-baseline
#   POLLECT_INIT         skip detection of the service manager: systemd, openrc, procd or none
#   POLLECT_ROOT         install into this directory as if it were / (files only; no service is
#                        started), for tests and image builds
#
# Everything happens in main(), called on the last line: a partly downloaded script does nothing.
set -eu

REPO="davidgiga1993/pollect"
STATE_DIR="/var/lib/pollect"
MARKER="installed by pollect's install.sh"

say() { printf 'pollect-install: %s\n' "$*"; }
die() {
	printf 'pollect-install: error: %s\n' "$*" >&2
	exit 1
}
has() { command -v "$1" >/dev/null 2>&1; }

usage() {
	cat <<'USAGE'
usage: install.sh [--uninstall]
  Installs (or upgrades in place) pollect, a default /etc/pollect/config.json if there is none,
  and a service. --uninstall removes the binary, the service and the state dir; the config stays.
  Settings: POLLECT_VERSION, POLLECT_BASE_URL, POLLECT_INSTALL_DIR, POLLECT_CONFIG_DIR,
  POLLECT_NO_SERVICE=1, POLLECT_TARGET, POLLECT_INIT, POLLECT_ROOT (see the top of this script).
USAGE
}

# The release target of this machine: <os>-<arch>[-baseline][-musl], as built by npm run build:all.
detect_target() {
	if [ -n "${POLLECT_TARGET:-}" ]; then
		echo "$POLLECT_TARGET"
		return
	fi
	os=$(uname -s)
	arch=${POLLECT_ARCH:-$(uname -m)}
	case $os in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	*) die "unsupported OS '$os': pollect has binaries for Linux and macOS" ;;
	esac
	case $arch in
	x86_64 | amd64) arch=x64 ;;
	aarch64 | arm64 | armv8*) arch=arm64 ;;
	armv[5-7]* | armhf | armel | arm) die "32-bit ARM ('$arch') cannot run Bun binaries: pollect needs a 64-bit CPU (x86_64 or arm64)" ;;
	mips*) die "MIPS ('$arch') cannot run Bun binaries: pollect needs a 64-bit x86_64 or arm64 CPU" ;;
	i[3-6]86 | x86) die "32-bit x86 ('$arch') cannot run Bun binaries: pollect needs a 64-bit CPU (x86_64 or arm64)" ;;
	*) die "unsupported CPU '$arch': pollect has binaries for x86_64 and arm64" ;;
	esac
	if [ "$os" = darwin ]; then
		# An x64 shell under Rosetta on Apple silicon: the native build is better.
		[ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ] && arch=arm64
		echo "$os-$arch"
		return
	fi
	# A 64-bit kernel with a 32-bit userland (e.g. 32-bit Raspberry Pi OS) cannot run it either.
	if [ -z "${POLLECT_ARCH:-}" ] && [ "$(getconf LONG_BIT 2>/dev/null || echo 64)" = 32 ]; then
		die "this system has a 32-bit userland ('$arch' kernel): Bun binaries need a 64-bit one"
	fi
	libc=""
	if (ldd --version 2>&1 || true) | grep -qi musl || ls /lib/ld-musl-* >/dev/null 2>&1; then
		libc="-musl"
	fi
	variant=""
	if [ "$arch" = x64 ] && [ -r /proc/cpuinfo ] && ! grep -qw avx2 /proc/cpuinfo; then
		[ -n "$libc" ] && die "this CPU lacks AVX2 and there is no baseline build for musl; use a glibc system or build from source"
		variant="-baseline"
	fi
	echo "$os-$arch$variant$libc"
}

detect_init() {
	if [ -n "${POLLECT_INIT:-}" ]; then
		case $POLLECT_INIT in
		systemd | openrc | procd | none) echo "$POLLECT_INIT" ;;
		*) die "POLLECT_INIT must be systemd, openrc, procd or none, not '$POLLECT_INIT'" ;;
		esac
	elif [ "$(uname -s)" != Linux ]; then
		echo none
	elif [ -d /run/systemd/system ]; then
		echo systemd
	elif has openrc-run || [ -x /sbin/openrc-run ]; then
		echo openrc
	elif [ -f /etc/openwrt_release ] || [ -x /sbin/procd ]; then
		echo procd
	else
		echo none
	fi
}

download() { # URL FILE
	downloader=${POLLECT_DOWNLOADER:-}
	if [ -z "$downloader" ]; then
		if has curl; then downloader=curl; elif has wget; then downloader=wget; else die "need curl or wget to download pollect"; fi
	fi
	case $downloader in
	curl) curl -fsSL --retry 3 -o "$2" "$1" || die "download failed: $1" ;;
	wget) wget -q -O "$2" "$1" || die "download failed: $1" ;;
	*) die "POLLECT_DOWNLOADER must be curl or wget" ;;
	esac
}

sha256_of() { # FILE
	if has sha256sum; then
		sha256sum "$1" | cut -d ' ' -f 1
	elif has shasum; then
		shasum -a 256 "$1" | cut -d ' ' -f 1
	elif has openssl; then
		openssl dgst -sha256 "$1" | sed 's/^.*= *//'
	else
		die "need sha256sum, shasum or openssl to verify the download"
	fi
}

# Fails unless DIR (or the nearest existing parent) is writable: a clear message instead of a
# half-done install.
need_writable() { # DIR
	dir=$1
	while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
	[ -w "$dir" ] || die "cannot write to $dir: run as root (curl ... | sudo sh), or set POLLECT_INSTALL_DIR, POLLECT_CONFIG_DIR and POLLECT_NO_SERVICE=1"
}

# Writes stdin to FILE (mode MODE) through a temp file and a rename.
write_file() { # FILE MODE
	mkdir -p "$(dirname "$1")"
	cat >"$1.new.$$"
	chmod "$2" "$1.new.$$"
	mv -f "$1.new.$$" "$1"
}

# Service files: packaging/pollect.{service,openrc,procd} verbatim (a test keeps them equal),
# with the binary and config paths of this install.
service_file() { # systemd|openrc|procd
	case $1 in
	systemd) systemd_unit ;;
	openrc) openrc_script ;;
	procd) procd_script ;;
	esac | sed -e "s#/usr/local/bin/pollect#$INSTALL_DIR/pollect#g" -e "s#/etc/pollect/config.json#$CONFIG_DIR/config.json#g"
}

service_path() {
	case $1 in
	systemd) echo "/etc/systemd/system/pollect.service" ;;
	*) echo "/etc/init.d/pollect" ;;
	esac
}

# Runs a service manager command on the real system only (not into POLLECT_ROOT).
on_system() {
	if [ -z "$ROOT" ]; then "$@"; fi
}

install_service() { # INIT
	init=$1
	if [ "$init" = none ]; then
		say "no systemd, OpenRC or procd here: start it yourself with $INSTALL_DIR/pollect --config $CONFIG_DIR/config.json"
		return
	fi
	path=$(service_path "$init")
	service_file "$init" | write_file "$ROOT$path" 644
	case $init in
	systemd)
		on_system systemctl daemon-reload
		on_system systemctl enable pollect
		on_system systemctl restart pollect
		;;
	openrc)
		chmod 755 "$ROOT$path"
		mkdir -p "$ROOT$STATE_DIR"
		on_system rc-update add pollect default
		on_system rc-service pollect restart
		;;
	procd)
		chmod 755 "$ROOT$path"
		mkdir -p "$ROOT$STATE_DIR"
		on_system "$path" enable
		on_system "$path" restart
		;;
	esac
	say "service: $path ($init)${ROOT:+, not started (POLLECT_ROOT)}"
}

install_pollect() {
	target=$(detect_target)
	if [ -n "${POLLECT_BASE_URL:-}" ]; then
		base=${POLLECT_BASE_URL%/}
	elif [ -n "${POLLECT_VERSION:-}" ]; then
		base="https://github.com/$REPO/releases/download/v${POLLECT_VERSION#v}"
	else
		base="https://github.com/$REPO/releases/latest/download"
	fi
	binary="$ROOT$INSTALL_DIR/pollect"
	config="$ROOT$CONFIG_DIR/config.json"
	need_writable "$ROOT$INSTALL_DIR"
	need_writable "$ROOT$CONFIG_DIR"

	tmp=$(mktemp -d 2>/dev/null || mktemp -d -t pollect)
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	say "downloading pollect-$target from $base"
	download "$base/pollect-$target" "$tmp/pollect"
	download "$base/SHA256SUMS" "$tmp/SHA256SUMS"
	expected=$(awk -v f="pollect-$target" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
	[ -n "$expected" ] || die "SHA256SUMS has no line for pollect-$target"
	actual=$(sha256_of "$tmp/pollect")
	[ "$actual" = "$expected" ] || die "checksum mismatch for pollect-$target (expected $expected, got $actual): not installed"
	say "sha256 OK ($actual)"
	chmod 755 "$tmp/pollect"
	case $target in
	*-musl)
		# Bun's musl builds link libstdc++, which Alpine and OpenWrt do not install by default.
		found=""
		for lib in /usr/lib/libstdc++.so.6 /lib/libstdc++.so.6 /usr/local/lib/libstdc++.so.6; do
			if [ -e "$lib" ]; then found=$lib; fi
		done
		[ -n "$found" ] || die "pollect-$target needs libstdc++: apk add libstdc++ (Alpine) or opkg install libstdcpp6 (OpenWrt), then run this again"
		;;
	esac
	version=$("$tmp/pollect" --version 2>/dev/null) || die "the downloaded pollect-$target does not run on this machine (or ${TMPDIR:-/tmp} is mounted noexec: set TMPDIR); POLLECT_TARGET picks another build"

	# The config comes from the downloaded binary and is checked before anything is installed.
	if [ ! -e "$config" ]; then
		"$tmp/pollect" default-config >"$tmp/default.json" || die "pollect default-config failed"
		# The embedded default, with the state dir the service may write to (/etc is read-only to it).
		{
			printf '{\n  "stateDir": "%s",\n' "$STATE_DIR"
			sed 1d "$tmp/default.json"
		} >"$tmp/config.json"
		"$tmp/pollect" check --config "$tmp/config.json" >/dev/null || die "the default config does not validate: not installed"
	fi

	# A rename replaces a running binary safely; the service restarts onto the new one below.
	write_file "$binary" 755 <"$tmp/pollect"
	say "installed $INSTALL_DIR/pollect $version"
	if [ -e "$config" ]; then
		say "kept the existing $CONFIG_DIR/config.json"
	else
		write_file "$config" 644 <"$tmp/config.json"
		say "wrote the default config $CONFIG_DIR/config.json"
	fi

	if [ -n "${POLLECT_NO_SERVICE:-}" ] && [ "$POLLECT_NO_SERVICE" != 0 ]; then
		say "no service installed (POLLECT_NO_SERVICE)"
	else
		init=$(detect_init)
		install_service "$init"
	fi
	say "done: $INSTALL_DIR/pollect --once --dry-run shows what it collects"
}

uninstall_pollect() {
	for init in systemd initd; do
		path=$(service_path "$init")
		# Only files this script wrote: /etc/init.d/pollect may be someone else's.
		if ! { [ -f "$ROOT$path" ] && grep -q "$MARKER" "$ROOT$path"; }; then continue; fi
		if [ "$init" = initd ]; then
			init=procd
			head -n 1 "$ROOT$path" | grep -q openrc-run && init=openrc
		fi
		case $init in
		systemd)
			on_system systemctl disable --now pollect || true
			rm -f "$ROOT$path"
			on_system systemctl daemon-reload || true
			;;
		openrc)
			on_system rc-service pollect stop || true
			on_system rc-update del pollect default || true
			rm -f "$ROOT$path"
			;;
		procd)
			on_system "$path" stop || true
			on_system "$path" disable || true
			rm -f "$ROOT$path"
			;;
		esac
		say "removed the $init service $path"
	done
	if [ -e "$ROOT$INSTALL_DIR/pollect" ]; then
		rm -f "$ROOT$INSTALL_DIR/pollect"
		say "removed $INSTALL_DIR/pollect"
	fi
	rm -rf "$ROOT$STATE_DIR"
	say "kept $CONFIG_DIR (your config); delete it yourself if you no longer need it"
}

main() {
	ROOT=${POLLECT_ROOT:-}
	ROOT=${ROOT%/}
	INSTALL_DIR=${POLLECT_INSTALL_DIR:-/usr/local/bin}
	INSTALL_DIR=${INSTALL_DIR%/}
	CONFIG_DIR=${POLLECT_CONFIG_DIR:-/etc/pollect}
	CONFIG_DIR=${CONFIG_DIR%/}
	case ${1:-} in
	"") install_pollect ;;
	--uninstall) uninstall_pollect ;;
	-h | --help) usage ;;
	*)
		usage >&2
		die "unknown argument '$1'"
		;;
	esac
}

# --- service files (packaging/) ---

systemd_unit() {
	cat <<'POLLECT_SYSTEMD_UNIT'
# pollect metrics agent (installed by pollect's install.sh; `install.sh --uninstall` removes it)
#
# Runs as a throw-away unprivileged user (DynamicUser) that can read /proc and /sys but write
# only its state dir. smartctl needs root (raw disk commands): for the Smart source, run
# `systemctl edit pollect` and add
#   [Service]
#   DynamicUser=no
#   User=root
[Unit]
Description=pollect metrics agent
Documentation=https://github.com/davidgiga1993/pollect
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/bin/pollect --config /etc/pollect/config.json
# `systemctl reload pollect`: re-reads the config; one with problems is logged and not applied.
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=5
DynamicUser=yes
StateDirectory=pollect
ReadWritePaths=/var/lib/pollect
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictRealtime=yes

[Install]
WantedBy=multi-user.target
POLLECT_SYSTEMD_UNIT
}

openrc_script() {
	cat <<'POLLECT_OPENRC_SCRIPT'
#!/sbin/openrc-run
# pollect metrics agent for OpenRC (Alpine); installed by pollect's install.sh.
# Runs as root so the Smart source can call smartctl.

name="pollect"
description="pollect metrics agent"
command="/usr/local/bin/pollect"
command_args="--config /etc/pollect/config.json"
output_log="/var/log/pollect.log"
error_log="/var/log/pollect.log"
supervisor=supervise-daemon
respawn_delay=5
extra_started_commands="reload"
description_reload="Re-read the config (SIGHUP); one with problems is logged and not applied"

depend() {
	need net
	after firewall
}

start_pre() {
	checkpath --directory --mode 0755 /var/lib/pollect
}

reload() {
	ebegin "Reloading ${name}"
	supervise-daemon "${RC_SVCNAME}" --signal HUP
	eend $?
}
POLLECT_OPENRC_SCRIPT
}

procd_script() {
	cat <<'POLLECT_PROCD_SCRIPT'
#!/bin/sh /etc/rc.common
# pollect metrics agent for OpenWrt (procd); installed by pollect's install.sh.

USE_PROCD=1
START=95
STOP=10

start_service() {
	mkdir -p /var/lib/pollect
	procd_open_instance
	procd_set_param command /usr/local/bin/pollect --config /etc/pollect/config.json
	procd_set_param respawn 3600 5 0
	procd_set_param stdout 1
	procd_set_param stderr 1
	procd_close_instance
}

# `/etc/init.d/pollect reload`: re-reads the config (SIGHUP) instead of restarting; one with
# problems is logged and not applied. (No service_triggers: the config is not a UCI file.)
reload_service() {
	procd_send_signal pollect '*' HUP
}
POLLECT_PROCD_SCRIPT
}

main "$@"
