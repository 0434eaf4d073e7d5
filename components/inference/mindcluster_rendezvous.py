"""rendezvous.py for pods whose NPUs MindCluster's device plugin allocated (cluster.profile mindcluster).

MindCluster's annotation ascend.kubectl.kubernetes.io/ascend-910-configuration has the shape of
CCE's but carries the pod's UID in server_id and the node's address in host_ip
(docs/cluster-profiles.md). This front reads it with host_ip as the server, then runs
rendezvous.py unchanged: the same checks, the same rank-table assembly.
"""
import json
import sys

import rendezvous

_read_cce_shape = rendezvous.devices_from_annotation


def devices_from_annotation(value, key="the device annotation", host_ip=None, expected=None):
    try:
        data = json.loads(value)
    except ValueError:
        data = None  # rendezvous.py names the problem
    if isinstance(data, dict):
        if not data.get("host_ip"):
            raise rendezvous.AnnotationError("%s has no host_ip (the node's IP, which MindCluster's device plugin writes)" % key)
        value = json.dumps(dict(data, server_id=data["host_ip"]))
    return _read_cce_shape(value, key, host_ip, expected)


rendezvous.devices_from_annotation = devices_from_annotation

if __name__ == "__main__":
    sys.exit(rendezvous.main(sys.argv[1:]))
