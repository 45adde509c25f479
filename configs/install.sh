#!/bin/sh
# Installs posagent from an unpacked bundle (run it from the bundle directory, or by its path).
#
#   sudo ./install.sh                 install or upgrade on this machine
#   ./install.sh --root /tmp/stage    install into a staging root (tests, image builds); DESTDIR works too
#
# Safe to rerun. It never touches an existing /etc/posagent/posagent.yaml, nor anything under
# /var/lib/posagent (terminal key, identity, queue). An upgrade keeps the replaced binary as
# posagent.prev, so `posagent update --rollback` can bring it back. See docs/technician.md.
set -eu

PREFIX=/opt/stillpay
CONF_DIR=/etc/posagent
STATE_DIR=/var/lib/posagent
UNIT_DIR=/etc/systemd/system
UDEV_DIR=/etc/udev/rules.d
SERVICE_USER=posagent

usage() {
	cat <<EOF
usage: install.sh [--root DIR] [--no-start] [--help]

  --root DIR   install under DIR instead of / (same as DESTDIR=DIR); creates no user and runs no
               systemctl or udevadm: the staged tree is for an image or a test
  --no-start   on a live install, do not restart a running agent (the new binary runs at the next start)
EOF
}

ROOT=${DESTDIR:-}
START=yes
while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }; ROOT=$2; shift 2 ;;
	--root=*) ROOT=${1#--root=}; shift ;;
	--no-start) START=no; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done
ROOT=${ROOT%/}
LIVE=no
[ -z "$ROOT" ] && LIVE=yes

say() { printf '%s\n' "install.sh: $*"; }
die() { printf '%s\n' "install.sh: ERROR: $*" >&2; exit 1; }

BUNDLE_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$BUNDLE_DIR"
for f in posagent posagent.example.yaml posagent.service 60-stillpay.rules SHA256SUMS; do
	[ -f "$f" ] || die "$f is missing from $BUNDLE_DIR: unpack the whole bundle (tar xzf posagent-VERSION-TARGET.tar.gz) and run install.sh from it"
done

# The signature was checked by `posagent update` or `stillbundle verify` on the tarball; here the sums
# catch a damaged unpack or a file changed since.
if command -v sha256sum >/dev/null 2>&1; then
	sha256sum -c --quiet --strict SHA256SUMS >/dev/null 2>&1 ||
		die "files do not match SHA256SUMS (run: sha256sum -c SHA256SUMS): the bundle is damaged or was changed; download it again and verify it with: posagent update --check --bundle FILE"
else
	say "sha256sum not found: skipping the checksum check"
fi

if [ "$LIVE" = yes ] && [ "$(id -u)" -ne 0 ]; then
	die "a live install needs root: run sudo $0 (or --root DIR to stage into a directory)"
fi

# install_file SRC DEST MODE: atomic replace (temp file in the same directory, then rename).
install_file() {
	mkdir -p "$(dirname "$2")"
	tmp="$2.new.$$"
	cp "$1" "$tmp"
	chmod "$3" "$tmp"
	mv -f "$tmp" "$2"
}

# 1. The binary. A different binary already there becomes posagent.prev (the rollback target).
BIN="$ROOT$PREFIX/bin/posagent"
mkdir -p "$ROOT$PREFIX/bin"
if [ -f "$BIN" ] && ! cmp -s posagent "$BIN"; then
	cp -p "$BIN" "$BIN.prev.$$" && mv -f "$BIN.prev.$$" "$BIN.prev"
	say "kept the previous binary as $PREFIX/bin/posagent.prev"
fi
install_file posagent "$BIN" 0755
mkdir -p "$ROOT/usr/local/bin"
# Relative, so the link also resolves inside a staged root.
ln -sfn "../../..$PREFIX/bin/posagent" "$ROOT/usr/local/bin/posagent"
version=$(./posagent version 2>/dev/null | head -n 1) || true
say "installed $PREFIX/bin/posagent (${version:-version unknown: built for another CPU?})"

# 2. Documentation and the example config (always refreshed: they are reference copies).
if [ -f technician.md ]; then install_file technician.md "$ROOT$PREFIX/share/technician.md" 0644; fi
install_file posagent.example.yaml "$ROOT$CONF_DIR/posagent.example.yaml" 0644

# 3. The config: created once from the example, with the state paths of the systemd unit and the
# udev names of the scanner and printer. An existing config is the technician's: never replaced.
CONF="$ROOT$CONF_DIR/posagent.yaml"
if [ -e "$CONF" ]; then
	say "kept the existing $CONF_DIR/posagent.yaml"
else
	awk -v state="$STATE_DIR" '
		/^[A-Za-z_]+:/ { section = $0; sub(/:.*/, "", section) }
		section == "identity" && /^[ \t]+key_file:/   { sub(/key_file:[ \t]*[^ \t#]+/, "key_file: " state "/terminal.key") }
		section == "identity" && /^[ \t]+state_file:/ { sub(/state_file:[ \t]*[^ \t#]+/, "state_file: " state "/identity.json") }
		section == "queue"    && /^[ \t]+path:/       { sub(/path:[ \t]*[^ \t#]+/, "path: " state "/queue.db") }
		section == "scanner"  && /^[ \t]+port:/       { sub(/port:[ \t]*[^ \t#]+/, "port: /dev/stillpay-scanner") }
		section == "printer"  && /^[ \t]+port:/       { sub(/port:[ \t]*[^ \t#]+/, "port: /dev/stillpay-printer") }
		{ print }
	' posagent.example.yaml >"$CONF.new.$$"
	grep -q "^[ \t]*path: $STATE_DIR/queue.db" "$CONF.new.$$" ||
		{ rm -f "$CONF.new.$$"; die "could not set the queue path in the new config; copy posagent.example.yaml to $CONF_DIR/posagent.yaml and set queue.path to $STATE_DIR/queue.db"; }
	chmod 0640 "$CONF.new.$$"
	mv -f "$CONF.new.$$" "$CONF"
	say "created $CONF_DIR/posagent.yaml: set server.url, then run posagent provision (docs/technician.md)"
fi

# 4. systemd unit and udev rules (replaced: they belong to the release; local changes go in drop-ins
# and in other rules files).
install_file posagent.service "$ROOT$UNIT_DIR/posagent.service" 0644
install_file 60-stillpay.rules "$ROOT$UDEV_DIR/60-stillpay.rules" 0644

# 5. The state directory: created if missing, its contents never touched.
if [ ! -d "$ROOT$STATE_DIR" ]; then
	mkdir -p "$ROOT$STATE_DIR"
	chmod 0700 "$ROOT$STATE_DIR"
	say "created $STATE_DIR"
else
	say "kept $STATE_DIR and its contents (key, identity, queue)"
fi

if [ "$LIVE" = no ]; then
	say "staged into $ROOT (no user created, no systemctl/udevadm run)"
	exit 0
fi

# 6. Live install: the service user, ownership, udev and systemd.
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir "$STATE_DIR" --shell /usr/sbin/nologin --user-group "$SERVICE_USER"
	say "created system user $SERVICE_USER"
fi
# Serial scanners and printers are group dialout, usblp printers group lp (60-stillpay.rules).
for group in dialout lp; do
	if getent group "$group" >/dev/null 2>&1; then
		usermod -a -G "$group" "$SERVICE_USER"
	elif [ "$group" = dialout ]; then
		groupadd --system dialout && usermod -a -G dialout "$SERVICE_USER"
	fi
done
chown -R "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"
chown root:"$SERVICE_USER" "$CONF_DIR" "$CONF"
chmod 0750 "$CONF_DIR"

if command -v udevadm >/dev/null 2>&1; then
	udevadm control --reload-rules || say "udevadm could not reload the rules: replug the scanner and printer"
	udevadm trigger --action=change --subsystem-match=tty --subsystem-match=usbmisc || true
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable posagent.service >/dev/null 2>&1 || say "could not enable posagent.service"
	if systemctl is-active --quiet posagent.service; then
		if [ "$START" = yes ]; then
			systemctl restart posagent.service && say "restarted posagent.service with the new binary"
		else
			say "posagent.service still runs the old binary until: systemctl restart posagent"
		fi
	else
		say "enabled posagent.service; after provisioning start it with: systemctl start posagent"
	fi
else
	say "systemd is not running here: start the agent with $PREFIX/bin/posagent run --config $CONF_DIR/posagent.yaml"
fi
say "next: sudo -u $SERVICE_USER posagent provision --config $CONF_DIR/posagent.yaml --server URL --enroll-code CODE; then posagent doctor"
