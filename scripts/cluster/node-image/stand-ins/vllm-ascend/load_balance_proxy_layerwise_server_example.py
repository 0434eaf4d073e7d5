#!/usr/bin/env python3
# Local stand-in for vllm-ascend v0.13.0's examples/disaggregated_prefill_v1/load_balance_proxy_layerwise_server_example.py
# (ascend-stack's local real node): same options and request flow, Python standard library only.
# The code is in pd_proxy_stand_in.py beside this file.
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pd_proxy_stand_in import main  # noqa: E402

if __name__ == "__main__":
    main(layerwise=True)
