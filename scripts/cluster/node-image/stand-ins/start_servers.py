#!/usr/bin/env python3
"""Stand-in for AscendCloud-LLM's PD_separate/start_servers.sh on the local real node.

No NPUs and no model here: it does what the real script does around the model, and nothing
else. It parses the manual's arguments, enforces the manual's runtime contract (exiting 1 with a
message naming the broken rule), then serves a tiny OpenAI-compatible API. A prefill or decode
instance answers with its identity; the scheduler (api-server) routes each request to one prefill
instance (by --prefill-routing-policy), then to one decode instance, and the answer names both.
See docs/real-node.md.

The contract (ascend-stack docs/manual-facts.md, "P/D separated deployment"):
  - GLOBAL_RANK_TABLE_FILE_PATH and RANK_TABLE_FILE_PATH name existing rank-table files;
  - an instance's local table equals its entry in the global table (groups 1 and 2), and holds
    --tensor-parallel-size cards;
  - the cards in its table are exactly the NPU device files it was given (/dev/davinciN), and no
    other process holds them (an exclusive lock per card);
  - the scheduler's table is the global table's group 0 entry; every P/D instance answers before it
    starts; NODE_PORTS lists the instances' ports in the global table's order; no_proxy covers
    every P/D host.
"""
import argparse
import fcntl
import itertools
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTING_POLICIES = ("RoundRobin", "FreeKVFirst", "BLB")
BATCHING_POLICIES = ("fcfs", "gtsf")
_held_locks = []  # open lock files: closing one would release the card


class ContractError(Exception):
    pass


def log(msg):
    sys.stderr.write("[start_servers stand-in] %s\n" % msg)
    sys.stderr.flush()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="start_servers.sh", add_help=False)
    p.add_argument("--model", required=True)
    p.add_argument("--tensor-parallel-size", type=int, default=1)
    p.add_argument("--max-model-len", type=int, required=True)
    p.add_argument("--max-num-seqs", type=int, default=256)
    p.add_argument("--max-num-batched-tokens", type=int, required=True)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--served-model-name")
    p.add_argument("--quantization")
    p.add_argument("--enable-chunked-prefill", action="store_true")
    p.add_argument("--prefill-batching-policy", default="fcfs")
    p.add_argument("--prefill-routing-policy", default="RoundRobin")
    args, rest = p.parse_known_args(argv)
    # vLLM has many more flags; they pass through to it unchecked, as in the real script.
    args.passthrough = rest
    if args.max_num_batched_tokens < args.max_model_len:
        raise ContractError("--max-num-batched-tokens (%d) must be >= --max-model-len (%d)"
                            % (args.max_num_batched_tokens, args.max_model_len))
    if args.prefill_routing_policy not in ROUTING_POLICIES:
        raise ContractError("--prefill-routing-policy must be one of %s" % ", ".join(ROUTING_POLICIES))
    if args.prefill_batching_policy not in BATCHING_POLICIES:
        raise ContractError("--prefill-batching-policy must be one of %s" % ", ".join(BATCHING_POLICIES))
    return args


# ---------------------------------------------------------------- rank tables

def read_table(var, env):
    path = env.get(var)
    if not path:
        raise ContractError("%s is not set (the manual requires it for every container)" % var)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ContractError("%s=%s: no such file" % (var, path))
    except ValueError as e:
        raise ContractError("%s=%s is not JSON: %s" % (var, path, e))


def groups(global_table):
    by_id = {g.get("group_id"): g for g in global_table.get("server_group_list", [])}
    if sorted(by_id) != ["0", "1", "2"]:
        raise ContractError("the global table must have exactly the groups 0 (scheduler), 1 (prefill), 2 (decode); "
                            "it has %s" % sorted(by_id))
    return by_id


def pd_servers(global_table):
    """[(role, server entry)] in the global table's order: every prefill, then every decode."""
    g = groups(global_table)
    return [("prefill", s) for s in g["1"]["server_list"]] + [("decode", s) for s in g["2"]["server_list"]]


def role_of(local_table, global_table):
    """prefill/decode (with its entry) or scheduler, from which global entry the local table equals."""
    servers = local_table.get("server_list") or []
    if len(servers) != 1:
        raise ContractError("the local table must list exactly one server, it lists %d" % len(servers))
    mine = servers[0]
    if "device" not in mine:
        if groups(global_table)["0"]["server_list"] != [mine]:
            raise ContractError("the scheduler's table %s is not the global table's group 0 entry" % json.dumps(mine))
        return "scheduler", mine
    matches = [role for role, s in pd_servers(global_table) if s == mine]
    if len(matches) != 1:
        raise ContractError("the local table's server %s is %s in the global table (it must equal exactly one "
                            "prefill or decode entry)" % (json.dumps(mine), "not" if not matches else "repeated"))
    return matches[0], mine


# ---------------------------------------------------------------- cards

def given_cards(dev_dir="/dev"):
    return sorted((n[len("davinci"):] for n in os.listdir(dev_dir) if n.startswith("davinci") and n[7:].isdigit()), key=int)


def check_cards(entry, args, dev_dir="/dev"):
    table = [d["device_id"] for d in entry["device"]]
    if len(table) != args.tensor_parallel_size:
        raise ContractError("the local table holds %d card(s) %s but --tensor-parallel-size is %d"
                            % (len(table), ",".join(table), args.tensor_parallel_size))
    given = given_cards(dev_dir)
    if sorted(table, key=int) != given:
        raise ContractError("the local table names cards %s but this container was given %s"
                            % (",".join(table), ",".join(given) or "none"))
    for card in table:
        f = open(os.path.join(dev_dir, "davinci" + card), "rb")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ContractError("card %s is held by another process (two containers must never share an NPU)" % card)
        _held_locks.append(f)


# ---------------------------------------------------------------- the scheduler's checks

def check_no_proxy(global_table, env):
    allowed = {h.strip() for h in (env.get("no_proxy") or env.get("NO_PROXY") or "").split(",") if h.strip()}
    if "*" in allowed:
        return
    missing = sorted({s["server_ip"] for _, s in pd_servers(global_table)} - allowed)
    if missing:
        raise ContractError("no_proxy does not cover the P/D host(s) %s: the scheduler must reach every instance "
                            "directly" % ", ".join(missing))


def fetch_json(url, timeout=3.0, data=None):
    # No proxy at all: the check above made sure the real scheduler would bypass it too.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=None if data is None else json.dumps(data).encode(),
                                 headers={"content-type": "application/json"})
    with opener.open(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def check_instances(global_table, env, probe=fetch_json):
    """Every NODE_PORTS port, paired with the global table's entries in order, must be served by
    exactly that instance; returns the instances [{role, url, server, ready_at}]."""
    servers = pd_servers(global_table)
    raw = env.get("NODE_PORTS", "")
    ports = [p.strip() for p in raw.split(",") if p.strip()]
    if len(ports) != len(servers):
        raise ContractError("NODE_PORTS %r lists %d port(s) but the global table has %d P/D instance(s)"
                            % (raw, len(ports), len(servers)))
    out = []
    for k, ((role, entry), port) in enumerate(zip(servers, ports)):
        url = "http://%s:%s" % (entry["server_ip"], port)
        try:
            who = probe(url + "/health")
        except (OSError, ValueError) as e:
            raise ContractError("the %s instance at %s (global table entry %d) does not answer (%s): the scheduler "
                                "must start after every P and D instance" % (role, url, k, e))
        if who.get("role") != role or who.get("server") != entry:
            raise ContractError("NODE_PORTS is not in the global table's order: entry %d is the %s with cards %s, but "
                                "port %s serves the %s with cards %s" % (
                                    k, role, cards_of(entry), port, who.get("role"), cards_of(who.get("server") or {})))
        out.append({"role": role, "url": url, "server": entry, "ready_at": who.get("ready_at")})
    return out


def cards_of(entry):
    return ",".join(d["device_id"] for d in entry.get("device", []))


# ---------------------------------------------------------------- serving

class Router:
    """Picks a prefill instance by the routing policy, then a decode instance round-robin."""

    def __init__(self, instances, policy):
        self.prefill = [i for i in instances if i["role"] == "prefill"]
        self.decode = [i for i in instances if i["role"] == "decode"]
        self.policy = policy
        self.rr_p, self.rr_d = itertools.cycle(range(len(self.prefill))), itertools.cycle(range(len(self.decode)))
        self.busy = [0] * len(self.prefill)
        self.lock = threading.Lock()

    def pick_prefill(self):
        with self.lock:
            if self.policy == "RoundRobin":
                k = next(self.rr_p)
            else:  # FreeKVFirst and BLB: the least loaded instance (no KV cache here to measure)
                k = min(range(len(self.prefill)), key=lambda j: self.busy[j])
            self.busy[k] += 1
            return k

    def done(self, k):
        with self.lock:
            self.busy[k] -= 1

    def pick_decode(self):
        with self.lock:
            return next(self.rr_d)


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            log("%s %s" % (self.address_string(), fmt % a))

        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, state["identity"])
            if self.path == "/v1/models":
                return self.reply(200, {"object": "list", "data": [{"id": state["model"], "object": "model"}]})
            self.reply(404, {"error": "not found: %s" % self.path})

        def do_POST(self):
            n = int(self.headers.get("content-length") or 0)
            try:
                req = json.loads(self.rfile.read(n) or b"{}")
            except ValueError:
                return self.reply(400, {"error": "the body is not JSON"})
            openai = state["use_openai"]
            paths = ("/v1/completions", "/v1/chat/completions") if openai else ("/generate",)
            if self.path not in paths:
                return self.reply(404, {"error": "not found: %s (USE_OPENAI=%s serves %s)"
                                        % (self.path, "1" if openai else "0", ", ".join(paths))})
            if openai and req.get("model") != state["model"]:
                return self.reply(404, {"error": {"message": "The model `%s` does not exist." % req.get("model"),
                                                  "type": "NotFoundError", "code": 404}})
            try:
                self.reply(200, state["serve"](self.path, req))
            except (OSError, ValueError) as e:
                self.reply(502, {"error": "an instance failed: %s" % e})

    return Handler


def prompt_of(path, req):
    if path == "/v1/chat/completions":
        return " ".join(str(m.get("content", "")) for m in req.get("messages", []))
    return str(req.get("prompt", ""))


def instance_serve(state):
    def serve(path, req):
        # A prefill instance computes the prompt's KV cache; a decode instance continues from it.
        prompt = prompt_of(path, req)
        served = {"role": state["identity"]["role"], "cards": cards_of(state["identity"]["server"]),
                  "port": state["identity"]["port"]}
        if state["identity"]["role"] == "prefill":
            return {"kv_tokens": len(prompt.split()), "served_by": served}
        words = max(1, min(int(req.get("max_tokens") or 16), 16))
        return {"text": " ".join(["token"] * words), "served_by": served, "completion_tokens": words}
    return serve


def scheduler_serve(state, router, probe=fetch_json):
    def serve(path, req):
        k = router.pick_prefill()
        try:
            p = probe(router.prefill[k]["url"] + path, timeout=30, data=req)
        finally:
            router.done(k)
        d = probe(router.decode[router.pick_decode()]["url"] + path, timeout=30, data=dict(req, kv_transfer=p))
        served = {"prefill": p["served_by"], "decode": d["served_by"]}
        usage = {"prompt_tokens": p["kv_tokens"], "completion_tokens": d["completion_tokens"],
                 "total_tokens": p["kv_tokens"] + d["completion_tokens"]}
        if path == "/v1/chat/completions":
            choice = {"index": 0, "message": {"role": "assistant", "content": d["text"]}, "finish_reason": "length"}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": d["text"], "finish_reason": "length"}
            obj = "text_completion"
        if not state["use_openai"]:
            return {"text": [d["text"]], "served_by": served}
        return {"id": "cmpl-%d" % time.time_ns(), "object": obj, "created": int(time.time()), "model": state["model"],
                "choices": [choice], "usage": usage, "served_by": served}
    return serve


def main(argv, env=os.environ):
    try:
        args = parse_args(argv)
        global_table = read_table("GLOBAL_RANK_TABLE_FILE_PATH", env)
        local_table = read_table("RANK_TABLE_FILE_PATH", env)
        role, entry = role_of(local_table, global_table)
        started = time.time()
        state = {"model": args.served_model_name or args.model, "use_openai": env.get("USE_OPENAI", "1") == "1",
                 "identity": {"role": role, "server": entry, "port": args.port, "started_at": started}}
        if role == "scheduler":
            check_no_proxy(global_table, env)
            instances = check_instances(global_table, env)
            state["identity"]["instances"] = instances
            state["serve"] = scheduler_serve(state, Router(instances, args.prefill_routing_policy))
            log("every P/D instance answered in NODE_PORTS order; routing prefill by %s" % args.prefill_routing_policy)
        else:
            check_cards(entry, args)
            state["serve"] = instance_serve(state)
        server = ThreadingHTTPServer((args.host, args.port), make_handler(state))
    except ContractError as e:
        log("ERROR: %s" % e)
        return 1
    except OSError as e:
        log("ERROR: cannot serve on %s:%s: %s (P and D instances on one host must not share a port)"
            % (args.host, args.port, e))
        return 1
    state["identity"]["ready_at"] = time.time()
    log("%s serving %s on %s:%d" % (role, state["model"], args.host, args.port))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
