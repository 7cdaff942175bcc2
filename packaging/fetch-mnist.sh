#!/usr/bin/env bash
# Fetches the four MNIST IDX files into DIR (default: data/mnist) when missing, for the README's
# set-up. The work is done by `digitlab-cli fetch-data` (core::MnistDownloader, the same code as
# the app's "Download MNIST"): one implementation. This wrapper only builds the CLI when needed.
#
# --allow-unverified-tls: a developer machine behind a TLS-intercepting proxy whose CA a fresh
# Debian does not trust must still set up. Integrity does not rest on TLS here: every file is
# checked against MNIST's published MD5 and SHA-256 sums before it is moved into place. The app
# and a plain `digitlab-cli fetch-data` never skip certificate checks.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$top/data/mnist}
"$top/scripts/build.sh"
exec "${DIGITLAB_BUILD_DIR:-$top/build}/app/digitlab-cli" fetch-data --data "$dir" --allow-unverified-tls
