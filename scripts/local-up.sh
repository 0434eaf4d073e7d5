#!/usr/bin/env bash
# `npm run local`: kept for old references; the demo's commands live in scripts/local.sh.
exec "$(dirname "$0")/local.sh" up "$@"
