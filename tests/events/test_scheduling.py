"""The event schedule: every rule kept, and the exact schedule as good as an independent model."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from events.scheduling import (
    SCORE_SCALE,
    Instance,
    Meeting,
    check,
    objective,
    schedule_exact,
    schedule_greedy,
    schedule_milp,
)


def reference_optimum(instance: Instance) -> tuple[int, int]:
    """(producers met, score in millionths) of the best schedule: a CP-SAT model over
    x[p, b, s] written apart from the module (which uses a flow, or HiGHS), solved in two
    rounds, most producers met first, then the score with that many fixed."""
    every = set(range(instance.slots))
    p_slots = {p: set(instance.producer_slots.get(p, every)) for p in instance.producers}
    b_slots = {b: set(instance.buyer_slots.get(b, every)) for b in instance.buyers}
    weights = {
        pair: round(score * SCORE_SCALE)
        for pair, score in instance.scores.items()
        if score is not None
    }
    model = cp_model.CpModel()
    x = {
        (p, b, s): model.new_bool_var(f"{p}{b}{s}")
        for (p, b) in weights
        for s in p_slots[p] & b_slots[b]
    }

    def total(p=None, b=None, s=None):
        return sum(
            v
            for (pp, bb, ss), v in x.items()
            if p in (None, pp) and b in (None, bb) and s in (None, ss)
        )

    for p in instance.producers:
        model.add(total(p=p) <= instance.producer_limit.get(p, instance.slots))
        for s in every:
            model.add(total(p=p, s=s) <= 1)
        for b in instance.buyers:
            model.add(total(p=p, b=b) <= 1)
    for b in instance.buyers:
        model.add(total(b=b) <= instance.buyer_limit.get(b, 10**6))
        for s in every:
            model.add(total(b=b, s=s) <= instance.tables.get(b, 1))
    met = [model.new_bool_var(f"met{p}") for p in instance.producers]
    for flag, p in zip(met, instance.producers, strict=True):
        model.add(flag <= total(p=p))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    model.maximize(sum(met))
    assert solver.solve(model) == cp_model.OPTIMAL
    most = round(solver.objective_value)
    model.add(sum(met) >= most)
    model.maximize(sum(weights[p, b] * v for (p, b, _s), v in x.items()))
    assert solver.solve(model) == cp_model.OPTIMAL
    return most, round(solver.objective_value)


@st.composite
def instances(draw, partial=True, scarce=False):
    slots = draw(st.integers(1, 3))
    producers = [f"P{i}" for i in range(draw(st.integers(1, 6)))]
    buyers = [f"B{j}" for j in range(draw(st.integers(1, 3)))]
    scores = {}
    for p in producers:
        for b in buyers:
            if draw(st.booleans()) or draw(st.booleans()):
                scores[p, b] = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0]))
    some_slots = st.frozensets(st.integers(0, slots - 1), min_size=0, max_size=slots)
    # Scarce attendance (producers in one slot, mostly the first; buyers in all) makes the flow's
    # pairs clash in their slots, so that the MILP has to take over.
    one_slot = st.sampled_from([frozenset({0})] * 3 + [frozenset({slots - 1})])
    return Instance(
        slots=slots,
        producers=producers,
        buyers=buyers,
        scores=scores,
        tables={b: draw(st.integers(1, 2)) for b in buyers},
        producer_limit={p: draw(st.integers(0, 3)) for p in producers if draw(st.booleans())},
        buyer_limit={b: draw(st.integers(0, 4)) for b in buyers if draw(st.booleans())},
        producer_slots=(
            {p: draw(one_slot) for p in producers}
            if scarce
            else {p: draw(some_slots) for p in producers if draw(st.booleans())}
            if partial
            else {}
        ),
        buyer_slots=(
            {b: draw(some_slots) for b in buyers if draw(st.booleans())}
            if partial and not scarce
            else {}
        ),
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(partial=False))
def test_everyone_attending_the_flow_schedule_equals_the_reference_optimum(instance):
    schedule = schedule_exact(instance)
    assert check(instance, schedule.meetings) == []
    assert schedule.method == "flow" and schedule.optimal
    assert objective(instance, schedule.meetings) == reference_optimum(instance)


@SETTINGS
@given(instances())
def test_with_partial_attendance_the_exact_schedule_equals_the_reference_optimum(instance):
    schedule = schedule_exact(instance)
    assert check(instance, schedule.meetings) == []
    assert schedule.optimal
    assert objective(instance, schedule.meetings) == reference_optimum(instance)


@SETTINGS
@given(instances(scarce=True))
def test_with_scarce_attendance_the_exact_schedule_equals_the_reference_optimum(instance):
    schedule = schedule_exact(instance)
    assert check(instance, schedule.meetings) == []
    assert schedule.optimal
    assert objective(instance, schedule.meetings) == reference_optimum(instance)


@SETTINGS
@given(instances())
def test_the_whole_milp_equals_the_reference_optimum(instance):
    schedule = schedule_milp(instance)
    assert check(instance, schedule.meetings) == [] and schedule.optimal
    assert objective(instance, schedule.meetings) == reference_optimum(instance)


@SETTINGS
@given(instances())
def test_the_greedy_schedule_keeps_every_rule_and_is_never_better(instance):
    greedy = schedule_greedy(instance)
    assert check(instance, greedy.meetings) == []
    assert objective(instance, greedy.meetings) <= objective(
        instance, schedule_exact(instance).meetings
    )


def test_every_producer_gets_a_meeting_when_it_can_even_at_some_cost_in_score():
    # One slot: A's best buyer is X, which B needs too; meeting Y instead costs A 0.1.
    instance = Instance(
        slots=1,
        producers=["A", "B"],
        buyers=["X", "Y"],
        scores={("A", "X"): 1.0, ("A", "Y"): 0.9, ("B", "X"): 0.05},
    )
    greedy = schedule_greedy(instance)
    exact = schedule_exact(instance)
    assert greedy.producers_without == ["B"]
    assert greedy.score == pytest.approx(1.0)
    assert exact.producers_without == []
    assert exact.producers_met == 2
    assert exact.score == pytest.approx(0.95)


def test_when_not_everyone_can_meet_the_most_producers_meet_and_the_others_are_named():
    instance = Instance(
        slots=1,
        producers=["A", "B", "C"],
        buyers=["X"],
        scores={("A", "X"): 0.2, ("B", "X"): 0.9, ("C", "X"): 0.5},
        tables={"X": 2},
    )
    exact = schedule_exact(instance)
    assert exact.producers_met == 2
    assert exact.producers_without == ["A"]
    assert sorted(m.table for m in exact.meetings) == [1, 2]


def test_a_pair_without_a_score_never_meets_and_a_producer_meets_only_when_it_attends():
    instance = Instance(
        slots=3,
        producers=["A", "B"],
        buyers=["X"],
        scores={("A", "X"): 0.5, ("B", "X"): None},
        producer_slots={"A": {2}},
    )
    exact = schedule_exact(instance)
    assert exact.meetings == [Meeting(slot=2, buyer="X", table=1, producer="A")]
    assert exact.producers_without == ["B"]


def test_check_names_each_broken_rule():
    instance = Instance(slots=2, producers=["A", "B"], buyers=["X"], scores={("A", "X"): 1.0})
    broken = check(
        instance,
        [
            Meeting(slot=0, buyer="X", table=1, producer="A"),
            Meeting(slot=0, buyer="X", table=1, producer="B"),
            Meeting(slot=1, buyer="X", table=2, producer="A"),
        ],
    )
    text = " | ".join(broken)
    assert "the pair may not meet" in text
    assert "two meetings at one table" in text
    assert "a pair meets twice" in text
    assert "no such table" in text


def test_negative_scores_are_refused():
    with pytest.raises(ValueError):
        schedule_exact(Instance(slots=1, producers=["A"], buyers=["X"], scores={("A", "X"): -1}))


def test_a_larger_event_with_everyone_attending_is_solved_by_the_flow_in_time():
    rng = np.random.default_rng(3)
    producers = [f"P{i}" for i in range(120)]
    buyers = [f"B{j}" for j in range(15)]
    scores = {(p, b): float(rng.random()) for p in producers for b in buyers}
    instance = Instance(
        slots=8,
        producers=producers,
        buyers=buyers,
        scores=scores,
        tables={b: 2 for b in buyers},
        producer_limit={p: 3 for p in producers},
    )
    exact = schedule_exact(instance)
    assert check(instance, exact.meetings) == []
    assert exact.producers_without == []
    assert len(exact.meetings) == 15 * 2 * 8
    greedy = schedule_greedy(instance)
    assert greedy.producers_without  # what the fairness floor is for
    assert objective(instance, exact.meetings) > objective(instance, greedy.meetings)


def test_pairs_the_flow_chose_but_slots_cannot_hold_go_to_the_milp():
    # X has two slots, but A and B can both come only to the first: one of them meets.
    instance = Instance(
        slots=2,
        producers=["A", "B"],
        buyers=["X"],
        scores={("A", "X"): 0.3, ("B", "X"): 0.6},
        producer_slots={"A": {0}, "B": {0}},
    )
    exact = schedule_exact(instance)
    assert exact.method == "milp" and exact.optimal
    assert exact.meetings == [Meeting(slot=0, buyer="X", table=1, producer="B")]
    assert objective(instance, exact.meetings) == reference_optimum(instance)
