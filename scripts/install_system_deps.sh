#!/usr/bin/env bash
# Install the Debian/Ubuntu packages that the browser tests, the PDF/office
# exports and the nginx example test need; packages already installed are skipped.
# Must run as root. (The nginx package's service is not needed: the test runs its
# own nginx on a loopback port and stops it.)
# Usage: scripts/install_system_deps.sh [extra packages...]
set -euo pipefail

packages=(
    chromium                 # browser tests (Playwright drives /usr/bin/chromium)
    fonts-noto-cjk           # Chinese glyphs in screenshots and PDFs
    libcairo2                # cairosvg: charts rasterised for DOCX/XLSX/PDF exports
    fontconfig               # fc-match: the PDF export finds the Noto CJK font
    poppler-utils            # pdftotext / pdftoppm in export tests
    libreoffice-writer-nogui # soffice: ODT/DOCX round-trip checks
    libreoffice-calc-nogui   # soffice: ODS/XLSX round-trip checks
    nginx                    # tests/test_nginx.py: the per-address throttling example (docs/nginx/)
    wrk                      # make bench-pages: HTTP load generator
    "$@"
)

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "System packages: all present (${packages[*]})."
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "       run as root: sudo make deps-system" >&2
    exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
