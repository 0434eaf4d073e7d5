#!/usr/bin/env python3
"""ascend-stack's launcher for vllm-ascend P/D instances (shipped in the deployment's ConfigMap).

  launch --api-port P --data-parallel-size D --tensor-parallel-size T -- vllm serve ...
      Starts one server per data-parallel rank r: `--port P+r` and, with D > 1,
      `--data-parallel-rank r` and ASCEND_RT_VISIBLE_DEVICES = the r-th slice of T cards among
      the pod's. With D = 1 it replaces itself with the server. If any server exits, the others
      are stopped and the launcher exits with its code, so the kubelet restarts the whole pod.
  ports-open PORT...     exit 0 when every local port accepts a connection (the probes)
  wait HOST:PORT...      block until every address accepts a connection (the proxy's init container)
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def log(msg):
    print(f"[vllm-ascend-pd] {msg}", flush=True)


def is_open(host, port, timeout=2.0):
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def launch(args, server):
    if not server:
        sys.exit("launch: the server's argv follows `--`")
    dp, tp = args.data_parallel_size, args.tensor_parallel_size
    if dp == 1:
        argv = server + ["--port", str(args.api_port)]
        log("exec " + " ".join(argv))
        os.execvp(argv[0], argv)
    children = []
    for rank in range(dp):
        env = dict(os.environ, ASCEND_RT_VISIBLE_DEVICES=",".join(str(rank * tp + i) for i in range(tp)))
        argv = server + ["--port", str(args.api_port + rank), "--data-parallel-rank", str(rank)]
        log(f"rank {rank}: devices {env['ASCEND_RT_VISIBLE_DEVICES']}: " + " ".join(argv))
        children.append(subprocess.Popen(argv, env=env))

    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)
        for c in children:
            if c.poll() is None:
                c.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for rank, c in enumerate(children):
            code = c.poll()
            if code is not None:
                asked = bool(stopping)
                if not asked:
                    log(f"rank {rank} exited with {code}; stopping the other ranks")
                stop(signal.SIGTERM, None)
                for other in children:
                    try:
                        other.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        other.kill()
                # Asked to stop (the pod is deleted): a clean exit; otherwise a failure, whatever the code.
                sys.exit(0 if asked and code in (0, -signal.SIGTERM) else (code or 1))
        time.sleep(1)


def ports_open(args):
    closed = [p for p in args.ports if not is_open("127.0.0.1", p)]
    if closed:
        print("not listening yet: " + " ".join(closed))
        sys.exit(1)


def wait(args):
    pending = list(args.addresses)
    last = 0.0
    while pending:
        pending = [a for a in pending if not is_open(*a.rsplit(":", 1))]
        if pending:
            if time.time() - last >= 10:
                log("waiting for " + " ".join(pending))
                last = time.time()
            time.sleep(2)
    log("every instance answers")


def main(argv):
    server = []
    if "--" in argv:
        cut = argv.index("--")
        argv, server = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(prog="vllm_ascend_pd.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("launch")
    p.add_argument("--api-port", type=int, required=True)
    p.add_argument("--data-parallel-size", type=int, default=1)
    p.add_argument("--tensor-parallel-size", type=int, default=1)
    sub.add_parser("ports-open").add_argument("ports", nargs="+")
    sub.add_parser("wait").add_argument("addresses", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "launch":
        launch(args, server)
    elif args.cmd == "ports-open":
        ports_open(args)
    else:
        wait(args)


if __name__ == "__main__":
    main(sys.argv[1:])
