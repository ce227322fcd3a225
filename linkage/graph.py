"""The linkage graph: every producer and buyer as a node, every current linkage as an edge.

Nodes are keyed by code (codes are unique across producers and buyers, as linkages name their ends
by code alone). Node attributes: ``type`` ("producer" or "buyer"), ``kind``, ``name``, ``lat``,
``lon``, ``area``; producers also ``members`` and ``products`` (codes); buyers also ``chain``,
``categories`` (a tuple, empty meaning every group) and ``min_stars``.

Edges run in the direction goods flow (household → cooperative → buyer). A ``networkx.DiGraph``
keeps one edge per ordered pair; its ``links`` attribute lists the linkages it stands for as
``{"kind", "product", "volume"}`` and ``volume`` sums their known monthly volumes. A store is joined
to its chain by an edge of kind ``store_of``. Products live in ``G.graph["products"]``
(code → ``{"producer", "name", "category", "stars", "potential_five_star", "rated_on",
"rating_expires_on", "capacity_per_month"}``) rather than as nodes, so that centrality is about
actors.

The analytics below take that graph and return plain dicts and lists; ``linkage.selectors``
reads the registry into it (``graph_from_db``, one ``values()`` query per table).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import islice

import networkx as nx

from .dates import rating_expiry

__all__ = [
    "FLOW_KINDS",
    "SALE_KINDS",
    "UPSTREAM_KINDS",
    "build_graph",
    "buyer_unit",
    "critical_actors",
    "communities",
    "dependence",
    "hubs",
    "supply_paths",
    "unlinked_producers",
]

UPSTREAM_KINDS = frozenset({"member_of", "supplies"})
"""Linkages between producers: raw material or membership, upstream of a sale."""
SALE_KINDS = frozenset({"sells_to", "lists_on", "mou"})
"""Linkages that put a product in a buyer's hands (a memorandum counts as intent to buy)."""
FLOW_KINDS = UPSTREAM_KINDS | SALE_KINDS
STORE_OF = "store_of"


def _number(value) -> float | None:
    if type(value) is float:
        return None if value != value else value
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _text(value) -> str:
    if type(value) is str:
        return value.strip()
    return "" if value is None or value != value else str(value).strip()


def _categories(value) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return tuple(sorted({str(code).strip() for code in value if str(code).strip()}))


def build_graph(
    tables: Mapping[str, Iterable[Mapping]], *, today: dt.date | None = None
) -> nx.DiGraph:
    """The linkage graph of interchange tables.

    ``tables`` maps table names (areas, producers, products, buyers, linkages) to rows shaped as in
    the interchange format (values may be strings, as read from CSV, or Python values). Missing
    producer or buyer coordinates fall back to the area's centroid. Linkages that ended before
    ``today`` (default: the current date) and linkages naming an unknown actor are left out.
    Returns a ``DiGraph`` as described in the module docstring; nothing is raised for bad rows.
    """
    today = today or dt.date.today()
    areas = {
        _text(row.get("code")): (_number(row.get("lat")), _number(row.get("lon")))
        for row in tables.get("areas", ())
    }

    def place(row):
        lat, lon = _number(row.get("lat")), _number(row.get("lon"))
        area = _text(row.get("area_code"))
        if (lat is None or lon is None) and area in areas:
            lat, lon = areas[area]
        if lat is None or lon is None:
            lat = lon = None
        return lat, lon, area

    # Nodes and edges are gathered in plain dicts and handed to networkx in bulk: adding them one
    # by one costs several times more at national scale.
    nodes = {}
    for row in tables.get("producers", ()):
        lat, lon, area = place(row)
        nodes[_text(row["code"])] = {
            "type": "producer",
            "kind": _text(row.get("kind")),
            "name": _text(row.get("name")),
            "lat": lat,
            "lon": lon,
            "area": area,
            "members": _integer(row.get("members")),
            "products": [],
        }
    for row in tables.get("buyers", ()):
        if _text(row["code"]) in nodes:
            # Linkages name their ends by code alone, so a code has to name one actor; a buyer
            # that reuses a producer's code (the registry refuses new ones) stays out of the graph.
            continue
        lat, lon, area = place(row)
        nodes[_text(row["code"])] = {
            "type": "buyer",
            "kind": _text(row.get("kind")),
            "name": _text(row.get("name")),
            "lat": lat,
            "lon": lon,
            "area": area,
            "chain": _text(row.get("chain_code")),
            "categories": _categories(row.get("categories")),
            "min_stars": _integer(row.get("min_stars")),
        }
    edges = {}
    for code, data in nodes.items():
        chain = data.get("chain")
        if chain and chain in nodes and chain != code:
            edges[code, chain] = {"links": [{"kind": STORE_OF}], "volume": 0.0}

    products = {}
    for row in tables.get("products", ()):
        producer = _text(row.get("producer_code"))
        if producer not in nodes:
            continue
        code = _text(row["code"])
        expires = _date(row.get("rating_expires_on")) or rating_expiry(_date(row.get("rated_on")))
        products[code] = {
            "producer": producer,
            "name": _text(row.get("name")),
            "category": _text(row.get("category")),
            "stars": _integer(row.get("stars")),
            "potential_five_star": str(row.get("potential_five_star")).lower() in {"1", "true"},
            "rated_on": _date(row.get("rated_on")),
            "rating_expires_on": expires,
            "capacity_per_month": _number(row.get("capacity_per_month")),
        }
        nodes[producer]["products"].append(code)

    for row in tables.get("linkages", ()):
        source, target = _text(row.get("source_code")), _text(row.get("target_code"))
        if source not in nodes or target not in nodes or source == target:
            continue
        ended = _date(row.get("ended_on"))
        if ended is not None and ended < today:
            continue
        volume = _number(row.get("volume_per_month"))
        link = {
            "kind": _text(row.get("kind")),
            "product": _text(row.get("product_code")) or None,
            "volume": volume,
        }
        edge = edges.get((source, target))
        if edge is None:
            edges[source, target] = {"links": [link], "volume": volume or 0.0}
        else:
            edge["links"].append(link)
            edge["volume"] += volume or 0.0

    graph = nx.DiGraph(products=products)
    graph.add_nodes_from(nodes.items())
    graph.add_edges_from((source, target, data) for (source, target), data in edges.items())
    return graph


def buyer_unit(graph: nx.DiGraph, code: str) -> str:
    """The buyer that decides on purchases: a store's chain, otherwise the buyer itself."""
    chain = graph.nodes[code].get("chain")
    return chain if chain and chain in graph else code


def _summary(graph: nx.DiGraph, code: str) -> dict:
    data = graph.nodes[code]
    return {"code": code, "name": data["name"], "type": data["type"], "kind": data["kind"]}


def _flow_view(graph: nx.DiGraph, product: str | None = None) -> nx.DiGraph:
    """Edges along which goods flow; with ``product``, only links for it or for no product."""

    def keep(source, target):
        return any(
            link["kind"] in FLOW_KINDS and (product is None or link["product"] in (None, product))
            for link in graph.edges[source, target]["links"]
        )

    return nx.subgraph_view(graph, filter_edge=keep)


def supply_paths(graph: nx.DiGraph, product_code: str, *, limit: int = 200) -> dict:
    """The supply-chain paths through the producer of a product.

    A path starts at an upstream origin (a household or other producer that supplies, directly or
    through others, the product's producer, and that nobody supplies in turn), passes the producer
    and any producers it supplies in turn (a cooperative supplying an enterprise), and ends at a
    buyer that sells the product on, followed by the buyer's chain when it is a store.
    Links for another product are ignored. Returns ``{"product", "producer", "paths": [[node
    summary, ...]], "truncated", "upstream", "buyers"}``; at most ``limit`` paths are listed.
    Raises ``KeyError`` for an unknown product.
    """
    product = graph.graph["products"][product_code]
    producer = product["producer"]
    flow = _flow_view(graph, product_code)
    between_producers = nx.subgraph_view(
        flow,
        filter_edge=lambda s, t: graph.nodes[t]["type"] == "producer"
        and graph.nodes[s]["type"] == "producer",
    )
    upstream = nx.ancestors(between_producers, producer)
    origins = sorted(n for n in upstream if between_producers.in_degree(n) == 0) or [producer]

    def buyers_of(node):
        return sorted(t for t in flow.successors(node) if graph.nodes[t]["type"] == "buyer")

    def with_chain(buyer):
        chain = graph.nodes[buyer].get("chain")
        return [buyer, chain] if chain and chain in graph else [buyer]

    # Downstream, the product may pass further producers (a cooperative supplying an
    # enterprise) before a buyer sells it on.
    tails = [with_chain(buyer) for buyer in buyers_of(producer)]
    sinks = set(buyers_of(producer))
    for middle in sorted(nx.descendants(between_producers, producer)):
        for route in islice(nx.all_simple_paths(between_producers, producer, middle), limit):
            for buyer in buyers_of(middle):
                tails.append([*route[1:], *with_chain(buyer)])
                sinks.add(buyer)

    paths, truncated = [], False
    for origin in origins:
        heads = (
            [[producer]]
            if origin == producer
            else nx.all_simple_paths(between_producers, origin, producer)
        )
        for head in heads:
            for tail in tails:
                if len(paths) >= limit:
                    truncated = True
                    break
                paths.append([_summary(graph, n) for n in [*head, *tail]])
            if truncated:
                break
        if truncated:
            break
    return {
        "product": {"code": product_code, "name": product["name"], "category": product["category"]},
        "producer": _summary(graph, producer),
        "upstream": len(upstream),
        "buyers": len(sinks),
        "paths": paths,
        "truncated": truncated,
    }


BETWEENNESS_WORK = 1_000_000  # node and edge visits a betweenness estimate may spend
BETWEENNESS_MIN_SAMPLE = 8


def hubs(
    graph: nx.DiGraph,
    *,
    limit: int = 10,
    measure: str = "degree",
    sample: int | None = 500,
    seed: int = 0,
) -> dict[str, list[dict]]:
    """The most central actors of each kind, over linkages taken as undirected ties.

    ``measure`` is "degree" (share of other actors tied to it) or "betweenness" (share of shortest
    paths through it, estimated from at most ``sample`` source nodes, fewer on a large graph).
    Returns kind → up to ``limit`` ``{"code", "name", "type", "kind", "score", "degree"}``, best
    first. Raises ``ValueError`` for an unknown measure.
    """
    undirected = graph.to_undirected(as_view=True)
    if measure == "degree":
        scores = nx.degree_centrality(undirected) if len(graph) > 1 else dict.fromkeys(graph, 0.0)
    elif measure == "betweenness":
        # Each sampled source costs a search of the whole graph, so the sample shrinks as the
        # graph grows: about a second or two on the Hà Nội demo, tens of seconds nationally.
        budget = max(BETWEENNESS_MIN_SAMPLE, BETWEENNESS_WORK // max(1, len(graph) + graph.size()))
        k = min(sample or len(graph), budget)
        k = k if k < len(graph) else None
        scores = nx.betweenness_centrality(undirected, k=k, seed=seed)
    else:
        raise ValueError(f"unknown measure {measure!r}: use degree or betweenness")
    by_kind = defaultdict(list)
    for code, score in scores.items():
        by_kind[graph.nodes[code]["kind"]].append((score, code))
    result = {}
    for kind, ranked in sorted(by_kind.items()):
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        result[kind] = [
            {**_summary(graph, code), "score": round(score, 6), "degree": undirected.degree(code)}
            for score, code in ranked[:limit]
            if score > 0
        ]
    return result


def communities(graph: nx.DiGraph, *, min_size: int = 3, seed: int = 0, top: int = 5) -> dict:
    """Groups of actors more tied to each other than to the rest (Louvain, weighted by linkages).

    Returns ``{"modularity", "communities": [{"id", "size", "producers", "buyers", "kinds",
    "areas", "top_members"}]}`` for communities of at least ``min_size`` actors, largest first;
    ``areas`` counts the commonest areas and ``top_members`` the ``top`` best-tied members.
    """
    undirected = nx.Graph()
    undirected.add_nodes_from(graph)
    for source, target, data in graph.edges(data=True):
        weight = max(1, len(data["links"]))
        if undirected.has_edge(source, target):
            undirected.edges[source, target]["weight"] += weight
        else:
            undirected.add_edge(source, target, weight=weight)
    connected = undirected.subgraph([n for n in undirected if undirected.degree(n) > 0])
    if connected.number_of_edges() == 0:
        return {"modularity": 0.0, "communities": []}
    found = nx.community.louvain_communities(connected, weight="weight", seed=seed)
    modularity = nx.community.modularity(connected, found, weight="weight")
    listed = []
    for members in sorted(found, key=lambda c: (-len(c), min(c))):
        if len(members) < min_size:
            continue
        kinds, areas = defaultdict(int), defaultdict(int)
        for code in members:
            kinds[graph.nodes[code]["kind"]] += 1
            if graph.nodes[code]["area"]:
                areas[graph.nodes[code]["area"]] += 1
        ranked = sorted(members, key=lambda c: (-connected.degree(c, weight="weight"), c))
        listed.append(
            {
                "id": len(listed) + 1,
                "size": len(members),
                "producers": sum(graph.nodes[c]["type"] == "producer" for c in members),
                "buyers": sum(graph.nodes[c]["type"] == "buyer" for c in members),
                "kinds": dict(sorted(kinds.items())),
                "areas": dict(sorted(areas.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
                "top_members": [_summary(graph, c) for c in ranked[:top]],
            }
        )
    return {"modularity": round(modularity, 4), "communities": listed}


def dependence(graph: nx.DiGraph, *, min_share: float = 0.0, min_buyers: int = 1) -> list[dict]:
    """How much each selling producer depends on its largest buyer.

    Sales to a chain's stores count as sales to the chain. Shares are of monthly volume when every
    sale of the producer states one, otherwise of the number of linkages (``basis`` says which).
    Returns, for producers with at least ``min_buyers`` buyers and a largest share of at least
    ``min_share``, ``{"producer", "buyers", "largest_buyer", "largest_share", "herfindahl",
    "basis"}``, most dependent first (Herfindahl index = sum of squared shares, 1 = one buyer).
    """
    result = []
    for code, data in graph.nodes(data=True):
        if data["type"] != "producer":
            continue
        volumes, counts, complete = defaultdict(float), defaultdict(int), True
        for target in graph.successors(code):
            if graph.nodes[target]["type"] != "buyer":
                continue
            unit = buyer_unit(graph, target)
            for link in graph.edges[code, target]["links"]:
                if link["kind"] not in SALE_KINDS:
                    continue
                counts[unit] += 1
                if link["volume"] is None:
                    complete = False
                else:
                    volumes[unit] += link["volume"]
        if len(counts) < max(1, min_buyers):
            continue
        by_volume = complete and sum(volumes.values()) > 0
        amounts = volumes if by_volume else counts
        total = sum(amounts.values())
        shares = {unit: amount / total for unit, amount in amounts.items()}
        largest = max(sorted(shares), key=shares.get)
        if shares[largest] < min_share:
            continue
        result.append(
            {
                "producer": _summary(graph, code),
                "buyers": len(shares),
                "largest_buyer": _summary(graph, largest),
                "largest_share": round(shares[largest], 4),
                "herfindahl": round(sum(s * s for s in shares.values()), 4),
                "basis": "volume" if by_volume else "linkages",
            }
        )
    result.sort(
        key=lambda row: (-row["herfindahl"], -row["largest_share"], row["producer"]["code"])
    )
    return result


def _market_reach(graph: nx.DiGraph) -> tuple[nx.DiGraph, str]:
    """The reversed flow graph with one extra node that every buyer leads to."""
    market = ("market",)
    flow = nx.DiGraph()
    flow.add_nodes_from(graph)
    flow.add_node(market)  # even with no buyer at all
    for source, target, data in graph.edges(data=True):
        if any(link["kind"] in FLOW_KINDS for link in data["links"]):
            flow.add_edge(target, source)
    for code, data in graph.nodes(data=True):
        if data["type"] == "buyer":
            flow.add_edge(market, code)
    return flow, market


def critical_actors(
    graph: nx.DiGraph, *, households_only: bool = True, limit: int = 50
) -> list[dict]:
    """Actors whose loss cuts households off from every buyer.

    An actor is critical for a household when every route of its goods to any buyer passes through
    it: it dominates the household in the flow graph reversed from a single "market" node (Lengauer–
    Tarjan dominators, linear in the graph's size). With ``households_only`` false every producer is
    counted, not only households. Returns up to ``limit`` ``{"actor", "households_cut_off",
    "households"}`` (``households`` lists at most 20 codes), most households first.
    """
    flow, market = _market_reach(graph)
    dominators = nx.immediate_dominators(flow, market)
    cut_off = defaultdict(list)
    for code, data in graph.nodes(data=True):
        if data["type"] != "producer" or code not in dominators:
            continue
        if households_only and data["kind"] != "household":
            continue
        step = dominators[code]
        while step != market:
            cut_off[step].append(code)
            step = dominators[step]
    ranked = sorted(cut_off.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return [
        {
            "actor": _summary(graph, actor),
            "households_cut_off": len(households),
            "households": sorted(households)[:20],
        }
        for actor, households in ranked
    ]


def unlinked_producers(graph: nx.DiGraph, *, direct: bool = False) -> list[dict]:
    """Producers with no buyer at all.

    By default a producer is linked when its goods reach some buyer, directly or through the
    cooperatives and enterprises it supplies; with ``direct`` it must sell to a buyer itself.
    Returns ``{"code", "name", "type", "kind", "area", "products", "supplies"}`` per producer, by
    code; ``supplies`` lists the producers it supplies (whose own route to market is missing).
    """
    flow, market = _market_reach(graph)
    reached = nx.descendants(flow, market)
    result = []
    for code, data in sorted(graph.nodes(data=True)):
        if data["type"] != "producer":
            continue
        sells = any(
            graph.nodes[t]["type"] == "buyer"
            and any(link["kind"] in SALE_KINDS for link in graph.edges[code, t]["links"])
            for t in graph.successors(code)
        )
        if sells or (not direct and code in reached):
            continue
        result.append(
            {
                **_summary(graph, code),
                "area": data["area"],
                "products": list(data["products"]),
                "supplies": sorted(
                    t for t in graph.successors(code) if graph.nodes[t]["type"] == "producer"
                ),
            }
        )
    return result
