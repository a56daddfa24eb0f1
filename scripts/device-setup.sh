# Sourced by the device scripts (scripts/device-*.sh) from the repository root: unpacks what
# devpack/ carries (see scripts/device-scaling.sh) — this machine's node binary onto PATH,
# node_modules into the checkout, the mainnet fixtures (when carried) into /tmp/fx — and
# defines `el` (seconds since the script started) and `unxz`.
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
mkdir -p /tmp/nb
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)" "$1"; fi; }
unxz devpack/node.xz > /tmp/nb/node && chmod +x /tmp/nb/node
export PATH=/tmp/nb:$PATH
unxz devpack/nm.tar.xz | tar x
if [ -f devpack/mainnet.tar.xz ]; then mkdir -p /tmp/fx && unxz devpack/mainnet.tar.xz | tar x -C /tmp/fx; fi
