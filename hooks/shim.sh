#!/bin/sh
# factory-os git hook: checks this change against the rules in .factory/rules/.
# Written by `fos hooks install`; `fos hooks uninstall` restores what was here.
# A hook that was here before is kept beside this file as HOOK.legacy and still runs.
# ID: factory-os-hook-7c1d2b9e
INSTALL_PYTHON=@INSTALL_PYTHON@
HOOK_TYPE=@HOOK_TYPE@
# the hook's directory without running dirname: one process fewer on every commit
case $0 in */*) HERE=${0%/*} ;; *) HERE=. ;; esac
HERE=$(cd "${HERE:-/}" && pwd)
if [ -x "$INSTALL_PYTHON" ]; then
    exec "$INSTALL_PYTHON" -m factory_os hook-impl --hook-type="$HOOK_TYPE" --hook-dir="$HERE" -- "$@"
elif command -v fos >/dev/null 2>&1; then
    exec fos hook-impl --hook-type="$HOOK_TYPE" --hook-dir="$HERE" -- "$@"
else
    echo "factory-os: $INSTALL_PYTHON is gone and fos is not on PATH; run \`fos hooks install\` again" >&2
    exit 1
fi
