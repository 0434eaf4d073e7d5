#!/bin/sh
# Local stand-in for AscendCloud-LLM's PD_separate/start_servers.sh (ascend-stack's local real
# node; docs/real-node.md): same arguments, same runtime contract.
exec python3 "$(dirname "$0")/start_servers.py" "$@"
