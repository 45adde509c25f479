#!/usr/bin/env bash
# Builds one signed install bundle per cross-built posagent (make bundle runs it after make cross):
#   scripts/bundle.sh BIN VERSION  ->  BIN/bundles/posagent-VERSION-{linux-armv7,linux-arm64,linux-amd64}.tar.gz
# Signing key: the key file named by $STILLPAY_RELEASE_KEY, else the development key BIN/release-dev.key
# (created once, with a warning). Each bundle is verified right after it is built, as a terminal would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: scripts/bundle.sh BIN VERSION}
VERSION=${2:?usage: scripts/bundle.sh BIN VERSION}
GO=${GO:-go}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
OUT="$BIN/bundles"

shopt -s nullglob
binaries=("$BIN"/cross/*/posagent)
if [ ${#binaries[@]} -eq 0 ]; then
  echo "bundle.sh: no binaries under $BIN/cross/*/posagent: run make cross first" >&2
  exit 1
fi

"$GO" build -trimpath -o "$BIN/stillbundle" ./cmd/stillbundle
mkdir -p "$OUT"
build_args=()
for bin in "${binaries[@]}"; do build_args+=(--binary "$bin"); done
"$BIN/stillbundle" build "${build_args[@]}" --version "$VERSION" --commit "$COMMIT" --out "$OUT" \
  --dev-key "$BIN/release-dev.key"
PUB=$("$BIN/stillbundle" pubkey --dev-key "$BIN/release-dev.key" 2>/dev/null)
bundles=("$OUT"/posagent-"$VERSION"-*.tar.gz)
"$BIN/stillbundle" verify --trusted-key "$PUB" "${bundles[@]}"
(cd "$OUT" && sha256sum "${bundles[@]##*/}" >"SHA256SUMS-$VERSION")
echo "bundle.sh: ${#bundles[@]} bundles in $OUT, checksums in $OUT/SHA256SUMS-$VERSION"
echo "bundle.sh: release public key (terminals must trust it): $PUB"
