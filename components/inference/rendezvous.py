#!/usr/bin/env python3
"""P/D rank-table rendezvous and server wrapper (ascend-stack, docs/pd-inference.md).

The entrypoint of every prefill, decode and scheduler container. Python 3 standard library only
(the Ascend image has python3, not node).

  run         device-plugin mode: read this pod's NPUs from the device plugin's annotation
              (downward-API file), write an entry to the shared rendezvous dir, wait for every
              declared instance's entry, assemble the manual's rank tables, start the server;
              exit 75 when any entry (or the manifest) changes so Kubernetes restarts the
              container and it reassembles.
  run-static  inventory mode: tables come from a ConfigMap. With --npus: wait until the stack's
              NPU ledger names this instance the owner of its cards, take an exclusive lock per
              card on the node (so no other container can run on them), start the server; stop
              it and exit 75 when a watched table file changes or the ledger gives a card to
              another owner (docs/npu-exclusivity.md).
  assemble    pure: entries + manifest -> rank-table files and environment (tested against the
              TypeScript generator, components/inference/ranktable.ts, byte for byte).
  changed     pure: which instances differ between two entry sets (the restart rule).
  wait-ports  wait until every host:port accepts TCP connections (the scheduler's start order).
"""
import argparse
import fcntl
import hashlib
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time

RESTART_EXIT = 75  # EX_TEMPFAIL: the topology changed, restart me
CONFIG_EXIT = 78  # EX_CONFIG: what the device plugin reported cannot make a valid rank table
TERMINATION_LOG = "/dev/termination-log"
VERSION = {"version": "1.0", "status": "completed"}


def log(msg):
    sys.stderr.write("[rendezvous] %s\n" % msg)
    sys.stderr.flush()


def render(value):
    """Same bytes as ranktable.ts renderJson: 4-space indent, final newline."""
    return json.dumps(value, indent=4, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- rank tables (mirror of ranktable.ts)

def server_entry(entry):
    ip = entry["server_ip"]
    return {
        "server_id": ip,
        "server_ip": ip,
        "device": [
            {"device_id": str(d["device_id"]), "device_ip": d["device_ip"], "rank_id": str(rank)}
            for rank, d in enumerate(entry["devices"])
        ],
    }


def group(gid, servers):
    return {"group_id": gid, "server_count": str(len(servers)), "server_list": servers}


def local_file_name(entry):
    return "local_ranktable_%s_%s.json" % (entry["server_ip"], "".join(str(d["device_id"]) for d in entry["devices"]))


def host_file_name(ip):
    return "local_ranktable_%s_host.json" % ip


def assemble(manifest, entries):
    """Returns (files, ordered P/D entries, global file name). `entries`: instance name -> entry."""
    sched = entries[manifest["scheduler"]["name"]]
    ordered = [entries[i["name"]] for i in manifest["instances"]]
    prefill = [server_entry(e) for e, i in zip(ordered, manifest["instances"]) if i["role"] == "prefill"]
    decode = [server_entry(e) for e, i in zip(ordered, manifest["instances"]) if i["role"] == "decode"]
    sip = sched["server_ip"]
    hosts = set([sip] + [e["server_ip"] for e in ordered])
    global_name = "global_ranktable_merge.json" if len(hosts) > 1 else "global_ranktable_%s.json" % sip
    files = {
        global_name: render(dict(VERSION, server_group_list=[
            group("0", [{"server_id": sip, "server_ip": sip}]),
            group("1", prefill),
            group("2", decode),
        ]))
    }
    for e in ordered:
        files[local_file_name(e)] = render(dict(VERSION, group_id="0", server_count="1", server_list=[server_entry(e)]))
    files[host_file_name(sip)] = render(dict(VERSION, group_id="0", server_count="1",
                                             server_list=[{"server_id": sip, "server_ip": sip}]))
    return files, ordered, global_name


def node_ports(manifest):
    """NODE_PORTS: all prefill ports, then all decode ports (the global table's order)."""
    by_role = lambda role: [str(i["port"]) for i in manifest["instances"] if i["role"] == role]
    return ",".join(by_role("prefill") + by_role("decode"))


def environment(manifest, entries, instance, out_dir, base_no_proxy=""):
    """The variables start_servers.sh reads, for `instance`."""
    files, ordered, global_name = assemble(manifest, entries)
    me = entries[instance]
    is_sched = instance == manifest["scheduler"]["name"]
    local = host_file_name(me["server_ip"]) if is_sched else local_file_name(me)
    env = {
        "GLOBAL_RANK_TABLE_FILE_PATH": os.path.join(out_dir, global_name),
        "RANK_TABLE_FILE_PATH": os.path.join(out_dir, local),
    }
    if is_sched:
        env["NODE_PORTS"] = node_ports(manifest)
        hosts = ["localhost", "127.0.0.1"] + [h for h in base_no_proxy.split(",") if h]
        for e in ordered:
            hosts.append(e["server_ip"])
        env["no_proxy"] = ",".join(dict.fromkeys(hosts))
    return files, env, global_name, local


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


# ---------------------------------------------------------------- entries and the restart rule

# What a rank table is made of: a peer recreated on the same host and cards changes none of it.
IDENTITY = ("server_ip", "devices", "manifest_digest")


def changed(old, new):
    """Instances whose entry was removed or differs in what the tables are made of: a new host,
    new cards (or RoCE addresses), another manifest. A recreated pod on the same host and cards
    (only pod_uid differs) is not a change: nobody else needs to restart for it. Sorted names."""
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None or b is None or any(a.get(k) != b.get(k) for k in IDENTITY):
            out.append(name)
    return out


def read_entries(directory, names, digest=None):
    """Entries of `names` present in `directory` (and written for manifest `digest`, if given)."""
    found = {}
    for name in names:
        try:
            with open(os.path.join(directory, name + ".json")) as f:
                entry = json.load(f)
        except (OSError, ValueError):
            continue
        if digest is None or entry.get("manifest_digest") == digest:
            found[name] = entry
    return found


def declared_names(manifest):
    return [manifest["scheduler"]["name"]] + [i["name"] for i in manifest["instances"]]


def parse_annotations(text):
    """The downward-API annotations file: one key="go-quoted value" per line."""
    out = {}
    for line in text.splitlines():
        if "=" not in line:
            continue
        key, raw = line.split("=", 1)
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw.strip('"')
    return out


class AnnotationError(Exception):
    """The device plugin's annotation cannot give a valid rank-table entry (one cause per error)."""


def is_ipv4(value):
    try:
        ipaddress.IPv4Address(value)
        return True
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return False


def devices_from_annotation(value, key="the device annotation", host_ip=None, expected=None):
    """CCE device plugin: {"pod_name":..,"server_id":"<host ip>","devices":[{"device_id","device_ip"}]}.

    Raises AnnotationError naming the cause: not JSON, no devices, a device without an id or
    without a RoCE address (device_ip), a server_id that is not this pod's host IP, or another
    number of cards than the instance requested."""
    try:
        data = json.loads(value)
    except ValueError:
        raise AnnotationError("%s is not JSON: %.80r" % (key, value))
    if not isinstance(data, dict):
        raise AnnotationError("%s is not a JSON object: %.80r" % (key, value))
    raw = data.get("devices")
    if not isinstance(raw, list) or not raw:
        raise AnnotationError("%s lists no devices; the device plugin allocated no NPU to this pod" % key)
    devices = []
    for n, d in enumerate(raw):
        if not isinstance(d, dict) or not str(d.get("device_id", "")).isdigit():
            raise AnnotationError("%s: device %d has no numeric device_id: %.80r" % (key, n, d))
        ip = d.get("device_ip")
        if not ip:
            raise AnnotationError("%s: device %s has no device_ip (its RoCE address); check hccn_tool -i %s -ip -g on the node"
                                  % (key, d["device_id"], d["device_id"]))
        if not is_ipv4(ip):
            raise AnnotationError("%s: device %s has device_ip %r, not an IPv4 address" % (key, d["device_id"], ip))
        devices.append({"device_id": str(int(d["device_id"])), "device_ip": ip})
    ids = [d["device_id"] for d in devices]
    if len(set(ids)) != len(ids):
        raise AnnotationError("%s lists device %s twice" % (key, next(i for i in ids if ids.count(i) > 1)))
    if expected is not None and len(devices) != expected:
        raise AnnotationError("%s lists %d devices but the instance requested %d (tensorParallelSize)" % (key, len(devices), expected))
    server_id = data.get("server_id")
    if not server_id:
        raise AnnotationError("%s has no server_id (the node's IP)" % key)
    if host_ip and server_id != host_ip:
        raise AnnotationError("%s has server_id %s but this pod runs on host %s; the scheduler and the rank tables "
                              "use the host IP, so they must agree" % (key, server_id, host_ip))
    devices.sort(key=lambda d: int(d["device_id"]))
    return server_id, devices


def fail(message, code):
    """Logs the cause and leaves it where `kubectl describe pod` shows it."""
    log(message)
    if not os.path.exists(TERMINATION_LOG):  # the kubelet creates it in every container
        return code
    try:
        with open(TERMINATION_LOG, "w") as f:
            f.write(message + "\n")
    except OSError:
        pass
    return code


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------- process supervision

class Child:
    def __init__(self, cmd, env, pass_fds=()):
        log("starting: %s" % " ".join(cmd))
        # pass_fds: the server inherits the NPU locks, so they last as long as either process.
        self.proc = subprocess.Popen(cmd, env=env, start_new_session=True, pass_fds=tuple(pass_fds))
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._forward)

    def _forward(self, signum, _frame):
        self.stop(signum)
        sys.exit(128 + signum)

    def stop(self, signum=signal.SIGTERM, grace=30):
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signum)
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def poll(self):
        return self.proc.poll()


def supervise(child, still_valid, poll):
    """Runs until the child exits (its code) or still_valid() turns false (RESTART_EXIT)."""
    while True:
        code = child.poll()
        if code is not None:
            log("server exited with %d" % code)
            return code
        reason = still_valid()
        if reason:
            log("restarting: %s" % reason)
            child.stop()
            return RESTART_EXIT
        time.sleep(poll)


# ---------------------------------------------------------------- NPU exclusivity (inventory mode)

def cards_not_owned(ledger_path, node, cards, owner):
    """Cards of `cards` that the ledger does not give to `owner` on `node` (all of them when the
    ledger cannot be read: without it nothing proves ownership)."""
    try:
        with open(ledger_path) as f:
            owners = json.load(f).get("nodes", {}).get(node, {})
    except (OSError, ValueError, AttributeError):
        return sorted(cards)
    return sorted(c for c in cards if owners.get(str(c)) != owner)


def acquire_npu_locks(lock_dir, cards, owner, ownership_lost, poll, every=30):
    """Exclusive flock on <lock_dir>/davinci<N>.lock for every card, in ascending order (two
    instances never wait for each other in a cycle). The kernel drops a lock when its holder's
    last process ends, so a card is never locked by two live containers. Returns the open lock
    files, or None when the ledger took a card away while waiting."""
    os.makedirs(lock_dir, exist_ok=True)
    held = []
    for card in sorted(cards):
        f = open(os.path.join(lock_dir, "davinci%d.lock" % card), "a+")
        last = 0
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                lost = ownership_lost()
                if lost:
                    log("restarting: %s" % lost)
                    f.close()
                    for h in held:
                        h.close()
                    return None
                if time.time() - last >= every:
                    f.seek(0)
                    log("waiting for NPU %d: still held by %s" % (card, f.read().strip() or "another container"))
                    last = time.time()
                time.sleep(poll)
        f.seek(0)
        f.truncate()
        f.write("%s (pid %d, since %s)\n" % (owner, os.getpid(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        f.flush()
        held.append(f)
    log("holding NPU(s) %s" % ",".join(str(c) for c in sorted(cards)))
    return held


def wait_ports(targets, timeout=0, poll=5):
    deadline = time.time() + timeout if timeout else None
    pending = list(targets)
    while pending:
        left = []
        for target in pending:
            host, port = target.rsplit(":", 1)
            try:
                socket.create_connection((host, int(port)), timeout=3).close()
                log("%s answers" % target)
            except OSError:
                left.append(target)
        pending = left
        if pending:
            if deadline and time.time() > deadline:
                log("timed out waiting for %s" % ", ".join(pending))
                return 1
            time.sleep(poll)
    return 0


# ---------------------------------------------------------------- commands

def cmd_run(a):
    with open(a.manifest) as f:
        manifest = json.load(f)
    digest = file_digest(a.manifest)
    names = declared_names(manifest)
    if a.instance not in names:
        log("instance %s is not declared in %s" % (a.instance, a.manifest))
        return 2
    meta = next((i for i in manifest["instances"] if i["name"] == a.instance), None)
    host_ip = os.environ.get("HOST_IP", "")
    if meta is None:  # the scheduler: CPU only, its address is the node's
        if not is_ipv4(host_ip):
            return fail("HOST_IP is %r, not the node's IPv4 address (status.hostIP)" % host_ip, CONFIG_EXIT)
        server_ip, devices, role, index = host_ip, [], "scheduler", 0
    else:
        role, index = meta["role"], meta["index"]
        while True:  # the device plugin writes the annotation after admission: wait for it
            try:
                with open(a.annotations) as f:
                    value = parse_annotations(f.read()).get(a.annotation_key)
            except OSError:
                value = None
            if value:
                try:
                    server_ip, devices = devices_from_annotation(value, "annotation %s" % a.annotation_key,
                                                                 host_ip or None, manifest.get("tensor_parallel_size"))
                except AnnotationError as e:
                    return fail(str(e), CONFIG_EXIT)
                break
            log("waiting for annotation %s" % a.annotation_key)
            time.sleep(a.poll)
    entry = {"instance": a.instance, "role": role, "index": index, "server_ip": server_ip, "devices": devices,
             "pod_uid": os.environ.get("POD_UID", ""), "manifest_digest": digest}
    os.makedirs(a.dir, exist_ok=True)
    write_atomic(os.path.join(a.dir, a.instance + ".json"), json.dumps(entry, indent=2) + "\n")
    log("registered %s on %s with devices %s" % (a.instance, server_ip, [d["device_id"] for d in devices]))

    while True:
        entries = read_entries(a.dir, names, digest)
        if len(entries) == len(names):
            break
        log("waiting for %s" % ", ".join(n for n in names if n not in entries))
        time.sleep(a.poll)
    files, env, global_name, local = environment(manifest, entries, a.instance, a.out, os.environ.get("no_proxy", ""))
    mine = {global_name: files[global_name], local: files[local]}
    os.makedirs(a.out, exist_ok=True)
    for name, text in mine.items():
        write_atomic(os.path.join(a.out, name), text)
    log("assembled %s and %s" % (global_name, local))
    if role == "scheduler":
        rc = wait_ports(["%s:%s" % (entries[i["name"]]["server_ip"], i["port"]) for i in manifest["instances"]], poll=a.poll)
        if rc:
            return rc

    def still_valid():
        """Restart only when this instance's own tables would differ: a peer recreated on the same
        host and cards, or one that is away (re-registering), leaves them as they are."""
        try:
            if file_digest(a.manifest) != digest:
                return "the manifest changed (instances added or removed)"
        except OSError:
            return "the manifest is gone"
        now = read_entries(a.dir, names, digest)
        if len(now) < len(names):
            return None  # a peer is re-registering; its new entry decides
        new_files = environment(manifest, now, a.instance, a.out, os.environ.get("no_proxy", ""))[0]
        if any(new_files.get(name) != text for name, text in mine.items()):
            return "entries changed: %s (this instance's rank tables differ)" % ", ".join(changed(entries, now))
        return None

    child = Child(a.command, dict(os.environ, **env))
    return supervise(child, still_valid, a.poll)


def cmd_run_static(a):
    digests = {p: file_digest(p) for p in a.watch}
    cards = [int(c) for c in a.npus.split(",")] if a.npus else []

    def ownership_lost():
        if not cards:
            return None
        lost = cards_not_owned(a.ledger, a.npu_node, cards, a.npu_owner)
        return "the NPU ledger no longer gives %s NPU(s) %s on %s" % (a.npu_owner, lost, a.npu_node) if lost else None

    def still_valid():
        for p, d in digests.items():
            try:
                if file_digest(p) != d:
                    return "%s changed" % p
            except OSError:
                return "%s is gone" % p
        return ownership_lost()

    if a.wait_ports:
        rc = wait_ports(a.wait_ports, poll=a.poll)
        if rc:
            return rc
    locks = []
    if cards:
        # A stale pod (its instance was removed or moved) waits here, harmlessly, until it is deleted.
        reported = (None, 0.0)
        while True:
            missing = cards_not_owned(a.ledger, a.npu_node, cards, a.npu_owner)
            if not missing:
                break
            if missing != reported[0] or time.time() - reported[1] >= 30:
                log("waiting: the NPU ledger does not (yet) give %s NPU(s) %s on %s" % (a.npu_owner, missing, a.npu_node))
                reported = (missing, time.time())
            time.sleep(a.poll)
        locks = acquire_npu_locks(a.lock_dir, cards, a.npu_owner, ownership_lost, a.poll)
        if locks is None:
            return RESTART_EXIT
    return supervise(Child(a.command, dict(os.environ), pass_fds=[f.fileno() for f in locks]), still_valid, a.poll)


def cmd_assemble(a):
    with open(a.manifest) as f:
        manifest = json.load(f)
    entries = read_entries(a.entries, declared_names(manifest))
    missing = [n for n in declared_names(manifest) if n not in entries]
    if missing:
        log("missing entries: %s" % ", ".join(missing))
        return 1
    files, env, global_name, local = environment(manifest, entries, a.instance or manifest["scheduler"]["name"], a.out)
    os.makedirs(a.out, exist_ok=True)
    for name, text in files.items():
        if a.all or name in (global_name, local):
            write_atomic(os.path.join(a.out, name), text)
    print(json.dumps({"env": env, "files": sorted(files) if a.all else [global_name, local]}))
    return 0


def cmd_changed(a):
    with open(a.old) as f:
        old = json.load(f)
    with open(a.new) as f:
        new = json.load(f)
    print(json.dumps(changed(old, new)))
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run")
    r.add_argument("--manifest", required=True)
    r.add_argument("--instance", required=True)
    r.add_argument("--dir", required=True, help="shared rendezvous directory (SFS Turbo)")
    r.add_argument("--out", required=True, help="where to write the assembled tables")
    r.add_argument("--annotations", default="/etc/ascend-stack/podinfo/annotations")
    r.add_argument("--annotation-key", default="cce.kubectl.kubernetes.io/ascend-1980-configuration")
    r.add_argument("--poll", type=float, default=5)
    r.add_argument("command", nargs=argparse.REMAINDER)

    s = sub.add_parser("run-static")
    s.add_argument("--watch", action="append", default=[])
    s.add_argument("--wait-ports", nargs="*", default=[])
    s.add_argument("--npus", help="comma-separated card ids this instance opens (inventory mode)")
    s.add_argument("--npu-node", help="the node's kubernetes.io/hostname (the ledger's key)")
    s.add_argument("--npu-owner", help="this instance's name as the ledger writes it")
    s.add_argument("--ledger", default="/etc/ascend-stack/npu-ledger/ledger.json")
    s.add_argument("--lock-dir", default="/run/ascend-stack/npu-locks")
    s.add_argument("--poll", type=float, default=10)
    s.add_argument("command", nargs=argparse.REMAINDER)

    m = sub.add_parser("assemble")
    m.add_argument("--manifest", required=True)
    m.add_argument("--entries", required=True)
    m.add_argument("--instance")
    m.add_argument("--out", required=True)
    m.add_argument("--all", action="store_true", help="write every table, not only the instance's two")

    c = sub.add_parser("changed")
    c.add_argument("--old", required=True)
    c.add_argument("--new", required=True)

    w = sub.add_parser("wait-ports")
    w.add_argument("targets", nargs="+")
    w.add_argument("--timeout", type=float, default=0)
    w.add_argument("--poll", type=float, default=5)

    a = p.parse_args(argv)
    if a.cmd == "run-static" and a.npus and not (a.npu_node and a.npu_owner):
        p.error("--npus needs --npu-node and --npu-owner")
    if getattr(a, "command", None) is not None:
        a.command = a.command[1:] if a.command[:1] == ["--"] else a.command
        if not a.command:
            p.error("missing the server command after --")
    if a.cmd == "run":
        return cmd_run(a)
    if a.cmd == "run-static":
        return cmd_run_static(a)
    if a.cmd == "assemble":
        return cmd_assemble(a)
    if a.cmd == "changed":
        return cmd_changed(a)
    return wait_ports(a.targets, a.timeout, a.poll)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
