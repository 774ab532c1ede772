"""Cross-field checks of the render cluster: node hosts, and whether every node can reach what it connects to.

Each check yields ``(key path, reason)`` like :mod:`stage.core.config.checks`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from stage.core.config.endpoint import endpoint_host
from stage.core.config.stage import StageConfig, is_loopback_host

Found = tuple[tuple[Any, ...], str]

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_WILDCARDS = {"*", "0.0.0.0", "::"}


def cluster_checks(config: StageConfig) -> Iterator[Found]:
    yield from _hosts(config)
    yield from _connectable(config)
    yield from _reachable(config)
    yield from _present_prediction(config)


def _present_prediction(config: StageConfig) -> Iterator[Found]:
    """``latency.mode: present`` is done by the frame clock: without frame lock nothing would predict."""
    if config.cluster.frame_lock:
        return
    for i, camera in enumerate(config.cameras):
        if camera.latency.mode == "present":
            yield ("cameras", i, "latency", "mode"), "present needs cluster.frame_lock: true (the frame clock predicts)"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _hosts(config: StageConfig) -> Iterator[Found]:
    for i, node in enumerate(config.nodes):
        if not (_is_ip(node.host) or _HOSTNAME.match(node.host)):
            yield ("nodes", i, "host"), f"not a host name or IP address: {node.host!r}"
        elif node.host.strip("[]") in _WILDCARDS:
            yield ("nodes", i, "host"), f"{node.host!r} is not a machine: give the node machine's name or address"


def _connectable(config: StageConfig) -> Iterator[Found]:
    """The leader binds the cluster endpoints and every node connects to the same string, so it must name an
    address, not a wildcard."""
    for key in ("frames", "ready"):
        host = endpoint_host(getattr(config.cluster, key))
        if host in _WILDCARDS:
            yield ("cluster", key), (f"nodes connect to this endpoint, so it needs the leader machine's address, "
                                     f"not {host!r}")


def _node_endpoints(config: StageConfig) -> list[tuple[tuple[str, str], str]]:
    """What a render node connects to: the live state, the stats sink, and the frame lock or the pose stream."""
    out = [(("endpoints", "state"), config.endpoints.state), (("endpoints", "render_stats"),
                                                              config.endpoints.render_stats)]
    if config.cluster.frame_lock:
        out += [(("cluster", "frames"), config.cluster.frames), (("cluster", "ready"), config.cluster.ready)]
    else:
        out.append((("endpoints", "pose"), config.endpoints.pose))
    return out


def _reachable(config: StageConfig) -> Iterator[Found]:
    """A node on another machine cannot connect to a loopback or ``ipc://`` endpoint of this one."""
    for i, node in enumerate(config.nodes):
        if node.is_local:
            continue
        for loc, endpoint in _node_endpoints(config):
            host = endpoint_host(endpoint)
            if host is None or is_loopback_host(host):
                yield ("nodes", i, "host"), (f"node {node.name!r} on {node.host} cannot reach {'.'.join(loc)} "
                                             f"{endpoint} (only this machine can): bind it on this machine's "
                                             f"network address (docs/cluster.md)")
                break
