"""What an event's schedule is computed from: its participants read from the database, and the
score of each producer–buyer pair from the recommender (``linkage.recommend.pair_scores``)."""

from __future__ import annotations

from dataclasses import dataclass

from linkage import graph_cache
from linkage.models import Product
from linkage.recommend import pair_scores

from .models import Event
from .scheduling import Instance

__all__ = ["EventInputs", "event_inputs"]


@dataclass
class EventInputs:
    """The scheduler's instance (producers and buyers by code, slots numbered from 0), and the
    product each scored pair would meet over."""

    instance: Instance
    product_of: dict[tuple[str, str], str]


def event_inputs(event: Event) -> EventInputs:
    """The event's participants, limits, attendance and pair scores, in three queries and one
    read of the recommender.

    A pair's score is its best product's: of the producer's products the buyer may take on the
    day of the event (group, minimum stars, a rating in force), the one the learned ranking scores
    highest. A pair with no such product has no score and never meets.
    """
    buyers = list(event.buyers.select_related("buyer").order_by("buyer__code"))
    producers = list(event.producers.select_related("producer").order_by("producer__code"))
    products: dict[str, str] = dict(
        Product.objects.filter(producer__in=[e.producer_id for e in producers]).values_list(
            "code", "producer__code"
        )
    )
    recommender = graph_cache.get_recommender()
    scores: dict[tuple[str, str], float] = {}
    product_of: dict[tuple[str, str], str] = {}
    for entry in buyers:
        buyer = entry.buyer.code
        try:
            scored = pair_scores(
                recommender, buyer=buyer, products=sorted(products), as_of=event.held_on
            )
        except KeyError:  # a buyer the held snapshot does not know yet
            scored = {}
        for product, score in sorted(scored.items()):
            pair = (products[product], buyer)
            if score > scores.get(pair, -1.0):
                scores[pair] = score
                product_of[pair] = product

    def zero_based(slots):
        return {s - 1 for s in slots}

    instance = Instance(
        slots=event.slot_count,
        producers=[e.producer.code for e in producers],
        buyers=[e.buyer.code for e in buyers],
        scores=scores,
        tables={e.buyer.code: e.tables for e in buyers},
        producer_limit={
            e.producer.code: e.max_meetings for e in producers if e.max_meetings is not None
        },
        buyer_limit={e.buyer.code: e.max_meetings for e in buyers if e.max_meetings is not None},
        producer_slots={e.producer.code: zero_based(e.slots) for e in producers if e.slots},
        buyer_slots={e.buyer.code: zero_based(e.slots) for e in buyers if e.slots},
    )
    return EventInputs(instance=instance, product_of=product_of)
