#!/usr/bin/env bash
# Make sure TeX can build the answer key: the commands latexmk, pdflatex and
# pdftotext, and the LaTeX packages the documents use (checked with kpsewhich).
# Installs what is missing with apt-get when running as root; otherwise prints
# the command to run. (derive/render.py keeps the same lists: TEX_PACKAGES,
# LATEX_STYLES; tests/test_render.py checks that they agree.)
set -euo pipefail

PACKAGES="texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk lmodern poppler-utils"
STYLES="lmodern.sty microtype.sty geometry.sty amsmath.sty amssymb.sty booktabs.sty array.sty enumitem.sty tcolorbox.sty pgf.sty hyperref.sty lastpage.sty"

missing=()
for tool in latexmk pdflatex pdftotext kpsewhich; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if command -v kpsewhich >/dev/null 2>&1; then
    for style in $STYLES; do
        [ -n "$(kpsewhich "$style" 2>/dev/null)" ] || missing+=("$style")
    done
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-tex: missing: ${missing[*]}" >&2

if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $PACKAGES
    still=()
    for style in $STYLES; do
        [ -n "$(kpsewhich "$style" 2>/dev/null)" ] || still+=("$style")
    done
    if [ "${#still[@]}" -ne 0 ]; then
        echo "install-tex: still missing after the install: ${still[*]}" >&2
        exit 1
    fi
else
    echo "install-tex: not root; install TeX with:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES" >&2
    exit 1
fi
