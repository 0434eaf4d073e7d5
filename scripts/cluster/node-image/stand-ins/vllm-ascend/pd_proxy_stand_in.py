"""Stand-in for vllm-ascend v0.13.0's P/D load-balancing proxies (examples/disaggregated_prefill_v1/
load_balance_proxy_server_example.py and load_balance_proxy_layerwise_server_example.py), on
ascend-stack's local real node. Python standard library only: the image has no fastapi, httpx or
uvicorn.

Same options, defaults and argument errors as the real scripts; the same endpoints and request
flow (no streaming; round robin instead of the least-loaded heap):
  prefill first (MooncakeConnectorV1): the request goes to a prefiller with
    kv_transfer_params.do_remote_decode=true, max_tokens 1, stream false; the prefiller's
    kv_transfer_params go with the original request to a decoder, whose answer is returned;
  decode first (MooncakeLayerwiseConnector): the request goes to a decoder with do_remote_prefill
    and the metaserver URL http://<--host>:<--port>/v1/metaserver; the decoder posts its own
    kv_transfer_params there, and the metaserver sends the request with them to a prefiller.
Each backend call carries X-Request-Id (the proxy's request id), as in the real proxies. The answer
gets `proxied_by`: the prefiller and decoder used. Differences: a failed backend call answers 502
with the backend's message (the real proxy answers an empty 200 stream or 500), and so does the
metaserver (the real one logs and answers null); /instances/add and /instances/remove are absent.
"""
import argparse
import itertools
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WILDCARDS = ("0.0.0.0", "::", "0:0:0:0:0:0:0:0")
BACKEND_TIMEOUT = float(os.environ.get("VLLM_STANDIN_PROXY_TIMEOUT", "600"))


def log(msg):
    print("[proxy stand-in] %s" % msg, flush=True)


def parse_args(argv, layerwise):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", type=str, default="localhost")
    parser.add_argument("--prefiller-hosts", type=str, nargs="+", default=["localhost"])
    parser.add_argument("--prefiller-ports", type=int, nargs="+", default=[8001])
    parser.add_argument("--decoder-hosts", type=str, nargs="+", default=["localhost"])
    parser.add_argument("--decoder-ports", type=int, nargs="+", default=[8002])
    parser.add_argument("--max-retries", type=int, default=3, help="Maximum number of retries for HTTP requests")
    parser.add_argument("--retry-delay", type=float, default=0.001,
                        help="Base delay (seconds) for exponential backoff retries")
    if not layerwise:
        parser.add_argument("--max-waiting-retries", type=int, default=3,
                            help="Maximum number of retries for waiting nodes to be started")
        parser.add_argument("--waiting-retry-interval", type=float, default=10,
                            help="Check interval (seconds) for waiting nodes to be started")
    args = parser.parse_args(argv)
    # The layerwise check is upstream's since v0.18.0 (#7389); with a wildcard host at v0.13.0 the
    # decoders would be sent http://0.0.0.0:<port>/v1/metaserver, which only works on this host.
    if layerwise and args.host in WILDCARDS:
        raise ValueError(
            f"Decoder hosts will access Proxy host:port/metaserver, to avoid configuration errors, "
            f"the Wildcard Address {args.host} is not allowed for proxy")
    if len(args.prefiller_hosts) != len(args.prefiller_ports):
        raise ValueError("Number of prefiller hosts must match number of prefiller ports")
    if len(args.decoder_hosts) != len(args.decoder_ports):
        raise ValueError("Number of decoder hosts must match number of decoder ports")
    args.prefiller_instances = list(zip(args.prefiller_hosts, args.prefiller_ports))
    args.decoder_instances = list(zip(args.decoder_hosts, args.decoder_ports))
    return args


class BackendError(Exception):
    pass


class Backend:
    def __init__(self, host, port):
        self.host, self.port = host, port
        h = "[%s]" % host if ":" in host else host
        self.url = "http://%s:%d/v1" % (h, port)

    def __str__(self):
        return "%s:%d" % (self.host, self.port)


class RoundRobin:
    def __init__(self, backends):
        self.backends = backends
        self.cycle = itertools.cycle(backends)
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            return next(self.cycle)


def post(backend, api, body, request_id, args):
    """POST with the real proxies' retries (exponential backoff); the decoded JSON answer."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Request-Id": request_id,
               "Authorization": "Bearer %s" % os.environ.get("OPENAI_API_KEY")}
    last = None
    for attempt in range(1, args.max_retries + 1):
        req = urllib.request.Request(backend.url + api, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=BACKEND_TIMEOUT) as r:
                raw = r.read()
            return json.loads(raw.decode() or "null")
        except urllib.error.HTTPError as e:
            last = "%s answered %d: %s" % (backend, e.code, e.read().decode(errors="replace")[:2000])
        except (OSError, ValueError) as e:
            last = "%s: %s" % (backend, e)
        log("attempt %d failed for %s%s: %s" % (attempt, backend.url, api, last))
        if attempt < args.max_retries:
            time.sleep(args.retry_delay * (2 ** (attempt - 1)))
    raise BackendError(last)


def prefill_request(body):
    req = dict(body)
    req["stream"] = False
    req["max_tokens"] = 1
    req["min_tokens"] = 1
    if "max_completion_tokens" in req:
        req["max_completion_tokens"] = 1
    req.pop("stream_options", None)
    return req


def api_request_id(api, rid):
    return "cmpl-%s-0" % rid if api == "/completions" else "chatcmpl-%s" % rid


def origin_request_id(api, api_rid):
    return api_rid[len("cmpl-"):-2] if api == "/completions" else api_rid[len("chatcmpl-"):]


class Proxy:
    def __init__(self, args, layerwise):
        self.args = args
        self.layerwise = layerwise
        self.prefillers = RoundRobin([Backend(h, p) for h, p in args.prefiller_instances])
        self.decoders = RoundRobin([Backend(h, p) for h, p in args.decoder_instances])
        self.lock = threading.Lock()
        self.pending = {}  # layerwise: vLLM request id -> (request, api)
        self.chosen = {}  # layerwise: vLLM request id -> the prefiller the metaserver used

    def completions(self, api, body):
        if self.layerwise:
            return self.decode_first(api, body)
        return self.prefill_first(api, body)

    def prefill_first(self, api, body):
        rid = str(uuid.uuid4())
        p = self.prefillers.next()
        req = prefill_request(body)
        req["kv_transfer_params"] = {"do_remote_decode": True, "do_remote_prefill": False, "remote_engine_id": None,
                                     "remote_block_ids": None, "remote_host": None, "remote_port": None,
                                     "aborted_request": []}
        answer = post(p, api, req, rid, self.args)
        kvp = (answer or {}).get("kv_transfer_params") if isinstance(answer, dict) else None
        if kvp:
            body = dict(body, kv_transfer_params=kvp)
        d = self.decoders.next()
        out = post(d, api, body, rid, self.args)
        return out, {"prefill": str(p), "decode": str(d), "request_id": rid}

    def decode_first(self, api, body):
        rid = str(uuid.uuid4())
        api_rid = api_request_id(api, rid)
        with self.lock:
            self.pending[api_rid] = (dict(body), api)
        try:
            req = dict(body)
            req["kv_transfer_params"] = {"do_remote_decode": False, "do_remote_prefill": True,
                                         "metaserver": "http://%s:%d/v1/metaserver" % (self.args.host, self.args.port)}
            d = self.decoders.next()
            out = post(d, api, req, rid, self.args)
        finally:
            with self.lock:
                self.pending.pop(api_rid, None)
                p = self.chosen.pop(api_rid, None)
        return out, {"prefill": p and str(p), "decode": str(d), "request_id": rid}

    def metaserver(self, params):
        if not isinstance(params, dict) or "request_id" not in params:
            raise BackendError("the metaserver needs the decoder's kv_transfer_params with request_id")
        api_rid = params["request_id"]
        with self.lock:
            entry = self.pending.get(api_rid)
        if entry is None:
            raise BackendError("request_id %s is not a request this proxy sent to a decoder" % api_rid)
        body, api = entry
        req = prefill_request(body)
        req["kv_transfer_params"] = params
        p = self.prefillers.next()
        with self.lock:
            self.chosen[api_rid] = p
        post(p, api, req, origin_request_id(api, api_rid), self.args)
        return p


def make_handler(proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, obj, note=""):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            log("%s %s %d%s" % (self.command, self.path, status, " " + note if note else ""))

        def do_GET(self):
            if self.path.split("?")[0] == "/healthcheck":
                self.reply(200, {"status": "ok", "prefill_instances": len(proxy.prefillers.backends),
                                 "decode_instances": len(proxy.decoders.backends)})
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            path = self.path.split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            routes = ["/v1/completions", "/v1/chat/completions"] + (["/v1/metaserver"] if proxy.layerwise else [])
            if path not in routes:
                self.reply(404, {"detail": "Not Found"})
                return
            try:
                body = json.loads(raw.decode() or "null")
            except ValueError as e:
                self.reply(400, {"detail": "the body is not JSON: %s" % e})
                return
            try:
                if path == "/v1/metaserver":
                    p = proxy.metaserver(body)
                    self.reply(200, None, "%s -> prefiller %s" % (body.get("request_id"), p))
                    return
                if not isinstance(body, dict):
                    self.reply(400, {"detail": "the body must be a JSON object"})
                    return
                out, used = proxy.completions(path[len("/v1"):], body)
                if isinstance(out, dict):
                    out["proxied_by"] = used
                self.reply(200, out, "%s prefill %s decode %s" % (used["request_id"], used["prefill"], used["decode"]))
            except BackendError as e:
                self.reply(502, {"error": {"message": str(e), "type": "BadGateway", "code": 502}}, str(e))

    return Handler


def main(layerwise):
    # uvicorn stops on SIGTERM; as a container's PID 1 the default action would be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args = parse_args(sys.argv[1:], layerwise)
    proxy = Proxy(args, layerwise)
    class server_class(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        request_queue_size = 128
    server = server_class((args.host, args.port), make_handler(proxy))
    server.daemon_threads = True
    print("Initialized %d prefill clients and %d decode clients." % (len(args.prefiller_instances),
                                                                     len(args.decoder_instances)), flush=True)
    log("%s proxy on http://%s:%d: prefillers %s, decoders %s" % (
        "layerwise (decode first)" if layerwise else "prefill first", args.host, args.port,
        " ".join("%s:%d" % i for i in args.prefiller_instances), " ".join("%s:%d" % i for i in args.decoder_instances)))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
