"""Interim: the analytics of ``linkage.graph`` over a snapshot's networkx graph."""

from __future__ import annotations

from . import graph as _graph

__all__ = [
    "communities",
    "critical_actors",
    "dependence",
    "hubs",
    "supply_paths",
    "unlinked_producers",
]


def _on_graph(name):
    def run(snapshot, *args, **kwargs):
        return getattr(_graph, name)(snapshot.to_networkx(), *args, **kwargs)

    run.__name__ = name
    return run


communities = _on_graph("communities")
critical_actors = _on_graph("critical_actors")
dependence = _on_graph("dependence")
hubs = _on_graph("hubs")
supply_paths = _on_graph("supply_paths")
unlinked_producers = _on_graph("unlinked_producers")
