"""The match workflow's rules: which state a proposal may move to, and which party moves it.

One table, ``TRANSITIONS``: (from, to) → the party the step belongs to.

=============  ============  ==================================================================
from           to            by
=============  ============  ==================================================================
proposed       accepted      the receiving side (the side that did not propose)
proposed       declined      the receiving side
proposed       withdrawn     the proposing side
accepted       mou_signed    either side
accepted       trading       the buyer
accepted       ended         either side (called off before any trade)
mou_signed     trading       the buyer
mou_signed     ended         either side
trading        ended         either side
=============  ============  ==================================================================

Declined, withdrawn and ended are final; the pair starts again with a new proposal. Trading is
the buyer's to declare (it places the orders; a producer cannot say a chain buys from it).
Planners may take any step of the table for either party; nobody may take a step outside it.

Pure: states and sides in, a decision out; ``linkage.services.proposal_transition`` applies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from .choices import ProposalSide, ProposalState

__all__ = [
    "BUYER",
    "EITHER",
    "FINAL",
    "PROPOSER",
    "RECEIVER",
    "STAGE_DATES",
    "TRANSITIONS",
    "IllegalTransition",
    "WrongParty",
    "allowed_next",
    "decide",
    "stamped",
]

PROPOSED = ProposalState.PROPOSED.value
ACCEPTED = ProposalState.ACCEPTED.value
DECLINED = ProposalState.DECLINED.value
WITHDRAWN = ProposalState.WITHDRAWN.value
MOU_SIGNED = ProposalState.MOU_SIGNED.value
TRADING = ProposalState.TRADING.value
ENDED = ProposalState.ENDED.value

RECEIVER = "receiver"
PROPOSER = "proposer"
EITHER = "either"
BUYER = "buyer"

TRANSITIONS: dict[tuple[str, str], str] = {
    (PROPOSED, ACCEPTED): RECEIVER,
    (PROPOSED, DECLINED): RECEIVER,
    (PROPOSED, WITHDRAWN): PROPOSER,
    (ACCEPTED, MOU_SIGNED): EITHER,
    (ACCEPTED, TRADING): BUYER,
    (ACCEPTED, ENDED): EITHER,
    (MOU_SIGNED, TRADING): BUYER,
    (MOU_SIGNED, ENDED): EITHER,
    (TRADING, ENDED): EITHER,
}

FINAL = frozenset({DECLINED, WITHDRAWN, ENDED})

# The day each state was reached is kept in these fields of the proposal.
STAGE_DATES = {
    ACCEPTED: "accepted_on",
    DECLINED: "closed_on",
    WITHDRAWN: "closed_on",
    MOU_SIGNED: "mou_signed_on",
    TRADING: "trading_on",
    ENDED: "ended_on",
}


class IllegalTransition(ValueError):
    """A step outside ``TRANSITIONS`` (the API: 400 naming ``to``)."""


class WrongParty(Exception):
    """A step of the table taken by a party it does not belong to (the API: 403); ``party``
    is the one it belongs to."""

    def __init__(self, state: str, to: str, party: str):
        super().__init__(state, to, party)
        self.party = party


def allowed_next(state: str) -> list[str]:
    """The states ``state`` may move to, in the table's order."""
    return [to for (start, to) in TRANSITIONS if start == state]


def _other(side: str) -> str:
    return ProposalSide.BUYER if side == ProposalSide.PRODUCER else ProposalSide.PRODUCER


def decide(
    state: str, to: str, *, proposed_by: str, sides: Collection[str], planner: bool = False
) -> str:
    """Who takes the step ``state`` → ``to``: "producer", "buyer" or "planner".

    ``sides`` are the sides of the proposal the actor is on ("producer", "buyer", or both when
    one account holds both ends); ``planner`` whether it may act for either. Raises
    ``IllegalTransition`` for a step outside the table, ``WrongParty`` when the step is not the
    actor's. An actor on both sides never answers its own proposal: the receiving side must not
    be the proposing one as well.
    """
    party = TRANSITIONS.get((state, to))
    if party is None:
        raise IllegalTransition(state, to)
    sides = set(sides)
    if planner:
        return "planner"
    receiver = _other(proposed_by)
    if party == RECEIVER:
        allowed = receiver in sides and proposed_by not in sides
        side = receiver
    elif party == PROPOSER:
        allowed, side = proposed_by in sides, proposed_by
    elif party == BUYER:
        allowed, side = ProposalSide.BUYER in sides, ProposalSide.BUYER
    else:
        allowed = bool(sides & {ProposalSide.PRODUCER, ProposalSide.BUYER})
        side = ProposalSide.BUYER if ProposalSide.BUYER in sides else ProposalSide.PRODUCER
    if not allowed:
        raise WrongParty(state, to, party)
    return str(side)


def stamped(dates: dict[str, dt.date | None], to: str, day: dt.date) -> dict[str, dt.date | None]:
    """The proposal's stage dates after reaching ``to`` on ``day`` (a copy)."""
    out = dict(dates)
    out[STAGE_DATES[to]] = day
    return out
