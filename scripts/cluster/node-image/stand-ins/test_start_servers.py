"""Unit tests of the start_servers.sh stand-in's contract checks (run by test/unit/stand-ins.test.ts)."""
import fcntl
import json
import os
import tempfile
import unittest

import start_servers as ss

DEV = lambda card: {"device_id": card, "device_ip": "198.18.3.%d" % (51 + int(card)), "rank_id": "0"}
PREFILL = {"server_id": "10.245.0.1", "server_ip": "10.245.0.1", "device": [DEV("0"), DEV("1")]}
DECODE = {"server_id": "10.245.0.1", "server_ip": "10.245.0.1", "device": [DEV("2"), DEV("3")]}
SCHED = {"server_id": "10.245.0.1", "server_ip": "10.245.0.1"}
GLOBAL = {"version": "1.0", "status": "completed", "server_group_list": [
    {"group_id": "0", "server_count": "1", "server_list": [SCHED]},
    {"group_id": "1", "server_count": "1", "server_list": [PREFILL]},
    {"group_id": "2", "server_count": "1", "server_list": [DECODE]},
]}
local = lambda server: {"version": "1.0", "status": "completed", "group_id": "0", "server_count": "1", "server_list": [server]}
ARGS = ["--model=/m", "--tensor-parallel-size=2", "--max-model-len=4096", "--max-num-batched-tokens=4096", "--port=8088"]


class Arguments(unittest.TestCase):
    def test_the_manual_rules(self):
        self.assertEqual(ss.parse_args(ARGS + ["--served-model-name", "q", "--foo=1"]).passthrough, ["--foo=1"])
        with self.assertRaisesRegex(ss.ContractError, "must be >= --max-model-len"):
            ss.parse_args(ARGS + ["--max-num-batched-tokens=1024"])
        with self.assertRaisesRegex(ss.ContractError, "--prefill-routing-policy must be one of"):
            ss.parse_args(ARGS + ["--prefill-routing-policy=Random"])


class Roles(unittest.TestCase):
    def test_an_instance_is_the_global_entry_its_local_table_equals(self):
        self.assertEqual(ss.role_of(local(PREFILL), GLOBAL), ("prefill", PREFILL))
        self.assertEqual(ss.role_of(local(DECODE), GLOBAL), ("decode", DECODE))
        self.assertEqual(ss.role_of(local(SCHED), GLOBAL)[0], "scheduler")

    def test_a_local_table_that_differs_from_the_global_one_is_refused(self):
        other = dict(PREFILL, device=[DEV("0"), DEV("5")])
        with self.assertRaisesRegex(ss.ContractError, "is not in the global table"):
            ss.role_of(local(other), GLOBAL)
        with self.assertRaisesRegex(ss.ContractError, "exactly the groups 0"):
            ss.role_of(local(PREFILL), dict(GLOBAL, server_group_list=GLOBAL["server_group_list"][1:]))


class Cards(unittest.TestCase):
    def setUp(self):
        self.dev = tempfile.mkdtemp()
        for card in ("0", "1"):
            open(os.path.join(self.dev, "davinci" + card), "w").close()
        ss._held_locks.clear()

    def test_the_table_must_name_the_cards_given_and_locks_them(self):
        args = ss.parse_args(ARGS)
        ss.check_cards(PREFILL, args, self.dev)
        self.assertEqual(len(ss._held_locks), 2)
        with self.assertRaisesRegex(ss.ContractError, "names cards 2,3 but this container was given 0,1"):
            ss.check_cards(DECODE, args, self.dev)

    def test_a_card_another_process_holds_is_refused(self):
        holder = open(os.path.join(self.dev, "davinci1"), "rb")
        fcntl.flock(holder, fcntl.LOCK_EX)
        pid = os.fork()
        if pid == 0:  # another process, as another container would be
            try:
                ss.check_cards(PREFILL, ss.parse_args(ARGS), self.dev)
                os._exit(0)
            except ss.ContractError as e:
                os._exit(3 if "card 1 is held by another process" in str(e) else 4)
        self.assertEqual(os.waitpid(pid, 0)[1] >> 8, 3)

    def test_tensor_parallel_size_must_match_the_table(self):
        with self.assertRaisesRegex(ss.ContractError, "holds 2 card.* --tensor-parallel-size is 4"):
            ss.check_cards(PREFILL, ss.parse_args(ARGS + ["--tensor-parallel-size=4"]), self.dev)


class Scheduler(unittest.TestCase):
    def probe(self, url, timeout=3.0, data=None):
        by_port = {"8088": ("prefill", PREFILL), "8089": ("decode", DECODE)}
        role, server = by_port[url.split(":")[2].split("/")[0]]
        return {"role": role, "server": server, "ready_at": 1.0}

    def test_node_ports_must_follow_the_global_order(self):
        got = ss.check_instances(GLOBAL, {"NODE_PORTS": "8088,8089"}, probe=self.probe)
        self.assertEqual([i["url"] for i in got], ["http://10.245.0.1:8088", "http://10.245.0.1:8089"])
        with self.assertRaisesRegex(ss.ContractError, "NODE_PORTS is not in the global table's order: entry 0 is the prefill"):
            ss.check_instances(GLOBAL, {"NODE_PORTS": "8089,8088"}, probe=self.probe)
        with self.assertRaisesRegex(ss.ContractError, "lists 1 port"):
            ss.check_instances(GLOBAL, {"NODE_PORTS": "8088"}, probe=self.probe)

    def test_an_instance_that_does_not_answer_stops_the_scheduler(self):
        def down(url, timeout=3.0, data=None):
            raise OSError("connection refused")
        with self.assertRaisesRegex(ss.ContractError, "does not answer .* must start after every P and D instance"):
            ss.check_instances(GLOBAL, {"NODE_PORTS": "8088,8089"}, probe=down)

    def test_no_proxy_must_cover_every_pd_host(self):
        ss.check_no_proxy(GLOBAL, {"no_proxy": "localhost,10.245.0.1"})
        with self.assertRaisesRegex(ss.ContractError, "does not cover the P/D host.* 10.245.0.1"):
            ss.check_no_proxy(GLOBAL, {"no_proxy": "localhost"})

    def test_routing_round_robin_and_least_loaded(self):
        inst = [{"role": "prefill", "url": "a"}, {"role": "prefill", "url": "b"}, {"role": "decode", "url": "d"}]
        rr = ss.Router(inst, "RoundRobin")
        self.assertEqual([rr.pick_prefill() for _ in range(3)], [0, 1, 0])
        blb = ss.Router(inst, "BLB")
        first = blb.pick_prefill()
        self.assertNotEqual(blb.pick_prefill(), first)  # the busy one is skipped
        blb.done(first)

    def test_an_answer_names_the_instances_that_served_it(self):
        calls = []
        def probe(url, timeout=3.0, data=None):
            calls.append(url)
            if url.startswith("http://p"):
                return {"kv_tokens": 3, "served_by": {"role": "prefill", "cards": "0,1", "port": 8088}}
            return {"text": "a b", "completion_tokens": 2, "served_by": {"role": "decode", "cards": "2,3", "port": 8089}}
        router = ss.Router([{"role": "prefill", "url": "http://p"}, {"role": "decode", "url": "http://d"}], "RoundRobin")
        serve = ss.scheduler_serve({"model": "q", "use_openai": True}, router, probe=probe)
        r = serve("/v1/completions", {"model": "q", "prompt": "x y z"})
        self.assertEqual(calls, ["http://p/v1/completions", "http://d/v1/completions"])
        self.assertEqual(r["served_by"]["prefill"]["cards"], "0,1")
        self.assertEqual(r["served_by"]["decode"]["cards"], "2,3")
        self.assertEqual(r["usage"], {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})


if __name__ == "__main__":
    unittest.main()
