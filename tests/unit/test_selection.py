"""Ranking and selection, OCBA and constraint verdicts (``clinicsim.selection``) on synthetic outputs whose answer
is known: normal days with known means and sds, drawn from a generator seeded by (system, replication), plus a
component seeded by the replication alone that every system shares (common random numbers). Long-run checks of
the guarantee itself (probability of correct selection over many macro-replications, sample sizes against
theory) are in ``tests/validation/test_selection.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clinicsim import selection
from clinicsim.selection import chance_constraint, kn_select, mean_constraint, ocba_allocation, ocba_select


def normal_systems(means, sds, *, shared_sd=0.0, seed=0):
    """``sample(system, replications)``: N(mean_i, sd_i^2) plus a N(0, shared_sd^2) term common to every system
    on the same replication; each value depends only on (seed, system, replication), never on the call order."""
    means, sds = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    calls = []

    def sample(system, replications):
        calls.append((system, list(replications)))
        own = [np.random.default_rng([seed, 1, system, r]).standard_normal() for r in replications]
        shared = [np.random.default_rng([seed, 2, r]).standard_normal() for r in replications]
        return means[system] + sds[system] * np.array(own) + shared_sd * np.array(shared)

    sample.calls = calls
    return sample


NAMES = [f"Plan {i}" for i in range(12)]


# -- KN++ ------------------------------------------------------------------------------------------------------


def test_h2_is_kns_constant():
    # c = 1: (1/2)(1 + 2 eta)^(-f/2) = alpha / (k - 1), h^2 = 2 eta f
    k, alpha, f = 5, 0.05, 9
    h2 = selection.kn_h2(k=k, alpha=alpha, f=f)
    eta = h2 / (2 * f)
    assert 0.5 * (1 + 2 * eta) ** (-f / 2) == pytest.approx(alpha / (k - 1), rel=1e-12)
    assert h2 == pytest.approx(2 * 0.5 * ((2 * alpha / (k - 1)) ** (-2 / f) - 1) * f, rel=1e-12)
    # as the degrees of freedom grow it falls to the known-variance constant 2 ln((k - 1) / (2 alpha))
    assert selection.kn_h2(k=k, alpha=alpha, f=10**8) == pytest.approx(2 * math.log((k - 1) / (2 * alpha)), rel=1e-6)
    assert selection.kn_h2(k=k, alpha=alpha, f=50) < h2


def test_screen_drops_a_system_that_trails_by_more_than_the_allowance():
    # two systems, differences of 1 on every replication but one: S^2 of the differences is small
    values = np.array([[10.0, 10, 10, 10], [9.0, 9, 9, 8]])  # larger is better
    h2 = 5.0
    dropped = selection.kn_eliminated(values, h2=h2, delta=1.0)
    s2 = np.var(values[0] - values[1], ddof=1)
    allowance = max(0.0, h2 * s2 / 2 - 4 / 2)
    assert (values[0] - values[1]).sum() > allowance
    assert dropped.tolist() == [False, True]
    # a small indifference zone makes the allowance large, and nobody is dropped yet
    assert selection.kn_eliminated(values, h2=h2, delta=0.05).tolist() == [False, False]


def test_clearly_worse_systems_are_dropped_quickly_and_the_best_chosen():
    means = [10.0, 14.0, 15.0, 16.0, 12.5]
    sample = normal_systems(means, [1.0, 1.5, 1.0, 2.0, 1.0], shared_sd=3.0)
    result = kn_select(sample, 5, delta=0.5, n0=10)
    assert result.best == 0
    assert result.guaranteed and result.survivors == (0,)
    # the far-off systems (4 to 6 worse, 8 to 12 sds of their differences) leave at or just after the first
    # screen; the closest one (2.5 worse) soon after
    assert all(10 <= out <= 12 for out in result.eliminated_after[1:4])
    assert 10 <= result.eliminated_after[4] <= 20
    assert result.replications[0] == max(out for out in result.eliminated_after if out is not None)
    assert result.total_replications == sum(result.replications)
    assert result.survivors_after(9) == (0, 1, 2, 3, 4)
    assert result.survivors_after(result.replications[0]) == (0,)


def test_replication_r_of_every_system_is_asked_in_order_without_gaps():
    sample = normal_systems([0.0, 1.0, 1.0], [1.0, 1.0, 1.0], shared_sd=1.0)
    result = kn_select(sample, 3, delta=0.3, n0=5, batch=3)
    asked = {i: [r for system, reps in sample.calls if system == i for r in reps] for i in range(3)}
    for i in range(3):
        assert asked[i] == list(range(result.replications[i]))
    assert all(len(reps) == 3 for _, reps in sample.calls[3:])  # stages after the first add a batch of 3
    assert all((n - 5) % 3 == 0 for n in result.replications)  # n0 + 3 j


def test_means_are_of_each_systems_own_replications():
    sample = normal_systems([0.0, 2.0], [1.0, 1.0])
    result = kn_select(sample, 2, delta=0.5, n0=8)
    for i in range(2):
        assert result.means[i] == pytest.approx(sample(i, list(range(result.replications[i]))).mean())


def test_the_best_is_never_dropped_when_outputs_are_deterministic():
    means = [3.0, 3.2, 5.0, 3.1]
    sample = normal_systems(means, [0.0, 0.0, 0.0, 0.0])
    result = kn_select(sample, 4, delta=1.0, n0=3)
    # variances of the differences are 0, so every trailing system goes at the first screen
    assert result.best == 0 and result.eliminated_after == (None, 3, 3, 3) and result.guaranteed


def test_a_shared_shift_does_not_blur_the_comparison():
    # a huge common day-to-day swing (CRN) with tiny own noise: KN works on differences, so it decides fast
    sample = normal_systems([0.0, 0.3, 0.3], [0.05, 0.05, 0.05], shared_sd=100.0)
    result = kn_select(sample, 3, delta=0.2, n0=10)
    assert result.best == 0 and result.total_replications <= 3 * 12


def test_maximize_picks_the_largest():
    sample = normal_systems([100.0, 110.0, 104.0], [5.0, 5.0, 5.0], shared_sd=2.0)
    result = kn_select(sample, 3, delta=2.0, minimize=False)
    assert result.best == 1 and result.guaranteed and not result.minimize
    flipped = kn_select(sample, 3, delta=2.0, minimize=True)
    assert flipped.best == 0


def test_the_cap_stops_without_a_guarantee():
    sample = normal_systems([0.0, 0.05, 0.1, 0.1], [1.0, 1.0, 1.0, 1.0])
    result = kn_select(sample, 4, delta=0.05, n0=10, max_per_system=40, batch=7)
    assert not result.guaranteed
    assert len(result.survivors) > 1 and result.best in result.survivors
    assert max(result.replications) == 40  # the last batch is cut to the cap
    left = np.array(result.survivors)
    assert result.best == left[np.argmin(result.means[left])]
    text = result.sentence(NAMES[:4], "provider overtime", "minutes")
    assert text.startswith("No plan was shown to be the best on provider overtime among these 4")
    assert "not guaranteed" in text and "probability at least" not in text


def test_identical_systems_stop_as_a_tie_instead_of_running_forever():
    sample = normal_systems([0.0, 0.0, 1.0], [1.0, 1.0, 1.0])

    def twins(system, replications):  # system 1 is system 0 again
        return sample(0 if system == 1 else system, replications)

    result = kn_select(twins, 3, delta=0.5)
    assert result.survivors == (0, 1) and result.best == 0 and result.guaranteed
    assert "tied on every replication with Plan 1" in result.sentence(NAMES[:3], "overtime", "min")


def test_sentence_states_the_guarantee():
    sample = normal_systems([30.0, 22.0, *[40.0] * 10], [3.0] * 12)
    result = kn_select(sample, 12, delta=5.0)
    text = result.sentence([f"Plan {i + 16}" for i in range(12)], "provider overtime", "minutes")
    n = result.total_replications
    assert text == (
        "Plan 17 is the best on provider overtime among these 12 with probability at least 95% unless another is "
        f"within 5 minutes of it (indifference zone); {n:,} replications in all."
    )
    with pytest.raises(ValueError, match="names"):
        result.sentence(["A"], "overtime", "min")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 1}, "at least 2 systems"),
        ({"delta": 0.0}, "delta must be positive"),
        ({"delta": -1.0}, "delta must be positive"),
        ({"delta": math.nan}, "delta must be positive"),
        ({"n0": 1}, "n0 >= 2"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 0.7}, "alpha"),  # 1 - alpha must beat a random pick, 1/k
        ({"batch": 0}, "batch"),
        ({"max_per_system": 5}, "max_per_system"),
    ],
)
def test_kn_input_checks(kwargs, message):
    args = {"k": 3, "delta": 1.0, "n0": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        kn_select(normal_systems([0.0] * 3, [1.0] * 3), args.pop("k"), **args)


def test_kn_refuses_bad_outputs():
    with pytest.raises(ValueError, match="returned 1 values for 10"):
        kn_select(lambda i, reps: [0.0], 2, delta=1.0)
    with pytest.raises(ValueError, match="NaN"):
        kn_select(lambda i, reps: np.full(len(reps), np.nan), 2, delta=1.0)


# -- OCBA ------------------------------------------------------------------------------------------------------


def test_ocba_allocation_sums_to_the_budget_and_favours_the_close_contest():
    means = np.array([10.0, 10.5, 14.0, 20.0, 10.4])
    sds = np.ones(5)
    extra = ocba_allocation(means, sds, np.full(5, 10), 200)
    assert extra.sum() == 200 and extra.dtype.kind == "i" and np.all(extra >= 0)
    # the best and its two close competitors get almost everything; the far-off ones next to nothing
    assert set(np.argsort(extra)[-3:]) == {0, 1, 4}
    assert extra[4] > extra[1] > extra[2] >= extra[3]


def test_ocba_shares_follow_chens_ratios():
    means, sds = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 1.0])
    weights = selection.ocba_weights(means, sds)
    n1, n2 = (2 / 1) ** 2, (1 / 2) ** 2
    nb = 1.0 * math.sqrt(n1**2 / 4 + n2**2 / 1)
    assert weights == pytest.approx(np.array([nb, n1, n2]) / (nb + n1 + n2))
    # maximizing mirrors it
    assert selection.ocba_weights(-means, sds, minimize=False) == pytest.approx(weights)


def test_ocba_gives_nothing_to_a_system_past_its_share():
    means, sds = np.array([0.0, 1.0, 5.0]), np.array([1.0, 1.0, 1.0])
    extra = ocba_allocation(means, sds, np.array([10, 10, 500]), 50)
    assert extra[2] == 0 and extra.sum() == 50


def test_ocba_edge_cases():
    counts = np.full(3, 5)
    assert ocba_allocation([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], counts, 0).tolist() == [0, 0, 0]
    # a tie with the best: only the tied systems get more
    tied = ocba_allocation([1.0, 1.0, 3.0], [1.0, 1.0, 1.0], counts, 30)
    assert tied.sum() == 30 and tied[2] == 0 and abs(int(tied[0]) - int(tied[1])) <= 1
    # a system known exactly (sd 0) gets none; with every sd 0 the budget is spread evenly
    assert ocba_allocation([1.0, 2.0, 3.0], [1.0, 1.0, 0.0], counts, 30)[2] == 0
    assert ocba_allocation([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], counts, 30).tolist() == [10, 10, 10]
    assert ocba_allocation([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], counts, 1).sum() == 1
    with pytest.raises(ValueError):
        ocba_allocation([1.0, 2.0], [1.0, -1.0], [5, 5], 10)
    with pytest.raises(ValueError):
        ocba_allocation([1.0, 2.0], [1.0, 1.0], [5, 5], -1)


def test_ocba_allocation_always_spends_exactly_the_budget():
    rng = np.random.default_rng(4)
    for _ in range(300):
        k = int(rng.integers(2, 12))
        means = np.round(rng.normal(0, 1, k), int(rng.integers(0, 3)))  # rounding makes ties
        sds = np.where(rng.random(k) < 0.2, 0.0, rng.gamma(2, 1, k))
        counts = rng.integers(0, 200, k)
        budget = int(rng.integers(0, 500))
        extra = ocba_allocation(means, sds, counts, budget, minimize=bool(rng.integers(2)))
        assert extra.sum() == budget and np.all(extra >= 0)


def test_apcs_b_is_chens_bonferroni_bound():
    means, sds, counts = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]), np.array([4, 4, 4])
    se = math.sqrt(1 / 4 + 1 / 4)
    expected = 1 - (0.5 * math.erfc(1 / se / math.sqrt(2)) + 0.5 * math.erfc(2 / se / math.sqrt(2)))
    assert selection.apcs_b(means, sds, counts) == pytest.approx(expected)
    assert selection.apcs_b(np.array([0.0, 0.0]), np.zeros(2), np.array([3, 3])) == 0.5
    assert selection.apcs_b(np.zeros(5), np.ones(5), np.full(5, 3)) == 0.0  # clipped


def test_ocba_select_spends_the_budget_and_finds_the_best():
    sample = normal_systems([5.0, 5.6, 7.0, 9.0, 5.8], [1.0, 1.0, 1.0, 1.0, 1.0], shared_sd=1.0)
    result = ocba_select(sample, 5, n0=10, budget_total=600, per_round=50)
    assert result.counts.sum() == 600 and np.all(result.counts >= 10)
    assert result.best == 0 and result.apcs > 0.9
    assert result.counts[0] > result.counts[3]
    asked = {i: [r for system, reps in sample.calls if system == i for r in reps] for i in range(5)}
    assert all(asked[i] == list(range(result.counts[i])) for i in range(5))
    with pytest.raises(ValueError, match="first stage"):
        ocba_select(sample, 5, n0=10, budget_total=49, per_round=10)


# -- constraints -----------------------------------------------------------------------------------------------


def days(meeting: int, total: int, *, limit: float = 30.0) -> np.ndarray:
    return np.r_[np.full(meeting, limit - 10), np.full(total - meeting, limit + 10)]


def test_chance_constraint_verdicts_on_known_counts():
    met = chance_constraint(days(195, 200), 30.0)
    assert met.verdict == "met" and met.met and met.low >= 0.9 and met.share == 0.975
    not_met = chance_constraint(days(160, 200), 30.0)
    assert not_met.verdict == "not met" and not_met.high < 0.9
    straddle = chance_constraint(days(182, 200), 30.0)
    assert straddle.verdict == "uncertain" and not straddle.met
    assert straddle.low < 0.9 < straddle.high and straddle.share > 0.9  # the point estimate alone would say met
    assert straddle.sentence("provider overtime", "min") == (
        "provider overtime ≤ 30 min on 91% of 200 days (95% CI 86% to 94%) against the 90% required: "
        "not established; more days needed"
    )
    assert "required: met" in met.sentence("provider overtime", "min")
    assert "required: not met" in not_met.sentence("provider overtime", "min")


def test_chance_constraint_boundary_at_least_and_nan_days():
    # the limit itself meets it; at_most=False counts days at or above it; NaN days are left out
    values = np.r_[np.full(190, 30.0), np.full(10, 31.0), np.nan]
    assert chance_constraint(values, 30.0).n_meeting == 190
    assert chance_constraint(values, 30.0).n_days == 200
    at_least = chance_constraint(values, 30.0, at_most=False, probability=0.95)
    assert at_least.n_meeting == 200 and at_least.verdict == "met"
    assert "≥ 30 min" in at_least.sentence("patients seen", "min")
    assert chance_constraint([], 30.0).verdict == "uncertain"
    with pytest.raises(ValueError):
        chance_constraint(values, 30.0, probability=1.0)


def test_a_share_that_rounds_to_the_requirement_shows_a_decimal():
    straddle = chance_constraint(days(1797, 2000), 30.0)  # 89.85%, interval 88.4% to 91.1%
    assert straddle.verdict == "uncertain"
    assert "on 89.8% of 2,000 days" in straddle.sentence("provider overtime", "min")
    assert "against the 90.0% required" in straddle.sentence("provider overtime", "min")


def test_mean_constraint_verdicts():
    rng = np.random.default_rng(3)
    values = 18 + rng.standard_normal(200)  # mean near 18, half-width near 0.14
    assert mean_constraint(values, 20.0).verdict == "met"
    assert mean_constraint(values, 17.0).verdict == "not met"
    assert mean_constraint(values, float(np.mean(values))).verdict == "uncertain"
    assert mean_constraint(values, 20.0, at_most=False).verdict == "not met"
    assert mean_constraint(values, 17.0, at_most=False).verdict == "met"
    assert mean_constraint([12.0], 20.0).verdict == "uncertain"  # one day: no interval
    text = mean_constraint(values, float(np.mean(values)) + 0.01).sentence("provider wait p90", "min")
    assert text.startswith("mean provider wait p90 ") and text.endswith("not established; more days needed")
    assert "over 200 days against the limit of at most" in text
