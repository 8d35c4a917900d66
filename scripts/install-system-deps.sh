#!/usr/bin/env bash
# Installs the Debian packages the service and its tests need, when missing:
# LibreOffice (PDF conversion), the PostgreSQL client tools (pg_dump and
# pg_restore, for `omd-gov backup` and `restore` on PostgreSQL), and Chromium
# (the browser tests drive Debian's build with Playwright; never a download).
set -euo pipefail

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
{ command -v pg_dump && command -v pg_restore; } >/dev/null 2>&1 || need+=(postgresql-client)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "error: missing system packages: ${need[*]} (install them as root)" >&2
    exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
