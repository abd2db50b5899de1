#!/usr/bin/env bash
# Make sure latexmk, pdflatex and pdftotext are available.
# Installs them with apt-get when running as root; otherwise prints the command.
set -euo pipefail

PACKAGES="texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk lmodern poppler-utils"

missing=()
for tool in latexmk pdflatex pdftotext; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-tex: missing: ${missing[*]}" >&2

if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $PACKAGES
else
    echo "install-tex: not root; install TeX with:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES" >&2
    exit 1
fi
