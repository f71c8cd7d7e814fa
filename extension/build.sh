#!/usr/bin/env bash
# Build the analysis core for the extension: extension/core.wasm from crates/phishprobe-wasm.
#
# rustup cannot fetch a wasm32 standard library here, so std is built from source with Debian's
# rustc-web compiler (bookworm-security) and its rust-web-src, driven by the stable cargo.
# Install them with: apt-get install rustc-web rust-web-src rust-web-llvm lld-22 (rust-web-llvm's rust-lld is
# a link to lld-22, which it does not pull in).
set -euo pipefail
cd "$(dirname "$0")/.."

# The versions this was built and tested with. Another version may work, but the answers and the
# size figures in the README are for these: change them here deliberately, after testing.
want_pkg="1.96.0+dfsg1-1~deb12u2"
want_rustc="rustc 1.96.0"
rustc_web=${PHISHPROBE_WASM_RUSTC:-/usr/bin/rustc}

die() { echo "extension/build.sh: $*" >&2; exit 1; }
for pkg in rustc-web rust-web-src rust-web-llvm; do
  have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
    die "Debian package $pkg is not installed (apt-get install rustc-web rust-web-src rust-web-llvm lld-22)"
  [ "$have" = "$want_pkg" ] ||
    die "$pkg is $have, this script expects $want_pkg (edit want_pkg after testing another)"
done
[ -x "$rustc_web" ] || die "no compiler at $rustc_web"
[ -e "$(readlink -f /usr/bin/rust-lld)" ] ||
  die "the wasm linker rust-lld ($(readlink /usr/bin/rust-lld || echo missing)) is not installed (apt-get install lld-22)"
"$rustc_web" --version | grep -q "^$want_rustc " ||
  die "$rustc_web is '$("$rustc_web" --version)', expected $want_rustc"
sysroot=$("$rustc_web" --print sysroot)
[ -d "$sysroot/lib/rustlib/src/rust/library" ] ||
  die "no standard library source under $sysroot/lib/rustlib/src (package rust-web-src)"

# Build std for wasm32 from source (-Zbuild-std) with the stable cargo; RUSTC_BOOTSTRAP lets it
# take the -Z flag. Its own target folder keeps these artefacts apart from the native ones.
target_dir=${CARGO_TARGET_DIR:-target}/wasm
RUSTC="$rustc_web" RUSTC_BOOTSTRAP=1 RUSTFLAGS="" \
  cargo build --locked -p phishprobe-wasm --target wasm32-unknown-unknown \
  -Zbuild-std=std,panic_abort --profile wasm --target-dir "$target_dir"
out="$target_dir/wasm32-unknown-unknown/wasm/phishprobe_wasm.wasm"
[ -f "$out" ] || die "the build did not produce $out"
cp "$out" extension/core.wasm
echo "extension/core.wasm: $(stat -c %s extension/core.wasm) bytes"
