"""Probability distributions written in the words an analyst uses.

A visit "takes 18 minutes on average, give or take 8" is a lognormal with ``mean: 18, sd: 8``, not a
lognormal with numpy's raw ``mu`` and ``sigma``. Every distribution here is parameterised by its mean and a
measure of spread (or by its support), knows its theoretical mean and variance (so tests compare sample
moments with theory), and turns uniform random numbers into samples by the inverse of its distribution
function. Inverse transform is what makes common random numbers work well: the same uniform gives a longer
visit under both plans being compared, so the comparison sees only the effect of the plan.

A bare number in a scenario file is shorthand for a fixed value: ``check_in: 3`` means ``{kind: fixed, value: 3}``.
"""

from __future__ import annotations

import functools
import math
from abc import abstractmethod
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast, get_args

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_serializer,
    model_validator,
)
from scipy import optimize, special

from clinicsim.streams import uniforms_open

Uniforms = np.ndarray | float
"""An array of uniforms in (0, 1), or one uniform."""


MAX_VALUE = 1e6
"""Largest size of any number in a distribution (minutes: about two years), so that no draw overflows."""


def _mentions(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """Whether the annotation is one of ``kinds`` or holds one (in a union, list or dict)."""
    return annotation in kinds or any(_mentions(a, kinds) for a in get_args(annotation))


def _wrong_boolean(value: Any, annotation: Any) -> bool:
    """A boolean where the field means a number: the value itself, or an item of a list or mapping of numbers."""
    if _mentions(annotation, (bool,)):
        return False
    if isinstance(value, bool):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return _mentions(annotation, (int, float)) and any(isinstance(item, bool) for item in items)


def booleans_for_numbers(model: type[BaseModel], data: Any) -> list[str]:
    """Fields of ``model`` given ``true`` or ``false`` in ``data`` (a mapping of the input) where a number is
    meant; pydantic would read them as 1 and 0, which is never what a scenario's author meant."""
    if not isinstance(data, dict):
        return []
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    return [key for key, value in data.items() if key in fields and _wrong_boolean(value, fields[key].annotation)]


def refuse_booleans_for_numbers(model: type[BaseModel], data: Any) -> Any:
    """A model's before-validator: raise naming the fields given true/false where a number is meant."""
    wrong = booleans_for_numbers(model, data)
    if wrong:
        raise ValueError(f"{', '.join(wrong)}: expected a number, not true or false")
    return data


class Tagged(BaseModel):
    """A variant of a union told apart by its ``kind``; the kind is always written out, even as a default.
    Numbers must be finite and are never booleans."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True, allow_inf_nan=False
    )

    if TYPE_CHECKING:
        kind: str  # each variant declares its own Literal kind

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, data: Any) -> Any:
        return refuse_booleans_for_numbers(cls, data)

    @model_serializer(mode="wrap")
    def _with_kind(self, handler):
        return {"kind": self.kind, **handler(self)}


class _Distribution(Tagged):
    """Common behaviour: theoretical moments and inverse-transform sampling."""

    @model_validator(mode="after")
    def _sizes_in_range(self) -> _Distribution:
        for name, value in self:
            numbers = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, float | int)]
            if any(abs(v) > MAX_VALUE for v in numbers):
                raise ValueError(f"{name.rstrip('_')}: numbers of a distribution are at most {MAX_VALUE:,.0f} in size")
        return self

    @property
    @abstractmethod
    def mean(self) -> float:
        """Theoretical mean."""

    @property
    @abstractmethod
    def variance(self) -> float:
        """Theoretical variance."""

    @property
    def minimum(self) -> float:
        """Smallest value the distribution can produce (minutes)."""
        return -math.inf

    @abstractmethod
    def from_uniform(self, u: Uniforms) -> np.ndarray:
        """Map uniforms in (0, 1) to samples (inverse distribution function); one uniform gives one sample (a
        numpy scalar or 0-d array)."""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` samples from ``rng`` (by inverse transform, one uniform per sample)."""
        return self.from_uniform(uniforms_open(rng, size))


class Fixed(_Distribution):
    """Always the same value."""

    kind: Literal["fixed"] = "fixed"
    value: float = Field(description="The value every draw takes.")

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def minimum(self) -> float:
        return self.value

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


class _ByMean(_Distribution):
    """A distribution parameterised by its mean (the ``mean`` key of the file)."""

    mean_: float = Field(alias="mean", description="Mean of the distribution.")

    @property
    def mean(self) -> float:
        return self.mean_


class _PositiveByMean(_ByMean):
    """A distribution of positive values parameterised by its (positive) mean."""

    mean_: float = Field(alias="mean", gt=0, description="Mean of the distribution.")

    @property
    def minimum(self) -> float:
        return 0.0


class Exponential(_PositiveByMean):
    """Exponential with the given mean (memoryless; the textbook service time)."""

    kind: Literal["exponential"] = "exponential"

    @property
    def variance(self) -> float:
        return self.mean_**2

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        return -self.mean_ * np.log1p(-u)


class Normal(_ByMean):
    """Normal with the given mean and standard deviation (for lateness, which can be negative). As a duration it is
    truncated at zero (``truncated_below: 0`` is set for it): the draws below zero are left out, not set to 0, so
    the mean is a little above ``mean`` when ``sd`` is large against it."""

    kind: Literal["normal"] = "normal"
    sd: float = Field(ge=0, description="Standard deviation.")
    truncated_below: float | None = Field(
        default=None, description="Lower bound of the values (durations: 0); null: not truncated."
    )

    def _tail(self) -> tuple[float, float]:
        """(alpha, lambda): the bound in standard units and the inverse Mills ratio at it."""
        alpha = (cast(float, self.truncated_below) - self.mean_) / self.sd
        density = math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)
        return alpha, density / float(special.ndtr(-alpha))

    @property
    def mean(self) -> float:
        if self.truncated_below is None or self.sd == 0:
            return self.mean_
        return self.mean_ + self.sd * self._tail()[1]

    @property
    def variance(self) -> float:
        if self.truncated_below is None or self.sd == 0:
            return self.sd**2
        alpha, lam = self._tail()
        return self.sd**2 * (1 + alpha * lam - lam * lam)

    @property
    def minimum(self) -> float:
        return -math.inf if self.truncated_below is None else self.truncated_below

    @model_validator(mode="after")
    def _bound_is_reachable(self) -> Normal:
        if self.truncated_below is not None and self.sd == 0 and self.mean_ < self.truncated_below:
            raise ValueError(f"mean: below the truncation bound {self.truncated_below:g} with sd 0")
        if self.truncated_below is not None and self.sd > 0 and (self.truncated_below - self.mean_) / self.sd > 30:
            raise ValueError("sd: the mean lies more than 30 sd below the truncation bound")
        return self

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        if self.truncated_below is None or self.sd == 0:
            return self.mean_ + self.sd * special.ndtri(u)
        below = special.ndtr((self.truncated_below - self.mean_) / self.sd)
        return np.maximum(
            self.mean_ + self.sd * special.ndtri(below + (1 - below) * np.asarray(u)), self.truncated_below
        )


class Lognormal(_PositiveByMean):
    """Lognormal given by its own mean and standard deviation (not those of the underlying normal)."""

    kind: Literal["lognormal"] = "lognormal"
    sd: float = Field(gt=0, description="Standard deviation of the distribution.")

    @model_validator(mode="after")
    def _spread_in_range(self) -> Lognormal:
        if self.sd / self.mean_ > 1e3:
            raise ValueError("sd is more than 1,000 times the mean")
        return self

    @property
    def variance(self) -> float:
        return self.sd**2

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(u))


class Gamma(_PositiveByMean):
    """Gamma given by its mean and coefficient of variation (sd / mean)."""

    kind: Literal["gamma"] = "gamma"
    cv: float = Field(ge=1e-4, le=1e4, description="Coefficient of variation, sd / mean (1 is exponential).")

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return special.gammaincinv(shape, u) * (self.mean_ / shape)


def weibull_cv(shape: float) -> float:
    """Coefficient of variation (sd / mean) of a Weibull of the given shape (the scale cancels out):
    sqrt(Γ(1 + 2/k) / Γ(1 + 1/k)² - 1), decreasing in the shape (1 at shape 1, the exponential)."""
    return math.sqrt(math.expm1(special.gammaln(1 + 2 / shape) - 2 * special.gammaln(1 + 1 / shape)))


@functools.lru_cache(maxsize=4096)
def weibull_shape(cv: float) -> float:
    """The Weibull shape whose coefficient of variation is ``cv`` (the inverse of ``weibull_cv``, solved on the
    log of the shape by Brent's method to 1e-12; cached, as a distribution is drawn from many times)."""
    log_shape = optimize.brentq(
        lambda x: math.log(weibull_cv(math.exp(x))) - math.log(cv), math.log(0.1), math.log(1e4), xtol=1e-12
    )
    return math.exp(log_shape)


class Weibull(_PositiveByMean):
    """Weibull given by its mean and coefficient of variation (sd / mean), like the gamma.

    Why mean and cv rather than the textbook shape and scale: a scenario's author thinks "16 minutes on average,
    give or take 40%", and a Weibull written so can be read against the lognormal and gamma fitted to the same
    visits (all three say their mean and spread); shape and scale are the raw parameters whose misuse (a scale
    taken for a mean) is a trap of clinic models. The shape is found from the cv numerically (``weibull_shape``:
    cv(shape) is decreasing, solved by Brent's method to 1e-12 and cached), then the scale is
    mean / Γ(1 + 1/shape); both are exposed as properties. The cv runs from 0.001 (shape about 1,300) to 100
    (shape about 0.13); cv 1 is the exponential, cv about 0.52 is the Rayleigh (shape 2)."""

    kind: Literal["weibull"] = "weibull"
    cv: float = Field(ge=1e-3, le=100, description="Coefficient of variation, sd / mean (1 is exponential).")

    @property
    def shape(self) -> float:
        """The Weibull shape k (numpy's and scipy's ``c``)."""
        return weibull_shape(self.cv)

    @property
    def scale(self) -> float:
        """The Weibull scale (minutes): mean / Γ(1 + 1/k)."""
        return self.mean_ / math.exp(special.gammaln(1 + 1 / self.shape))

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        return self.scale * np.power(-np.log1p(-np.asarray(u, dtype=float)), 1 / self.shape)


class Triangular(_Distribution):
    """Triangular on [low, high] with its peak at mode (for "usually 10, between 5 and 25" estimates)."""

    kind: Literal["triangular"] = "triangular"
    low: float = Field(description="Smallest value.")
    mode: float = Field(description="Most likely value.")
    high: float = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    @property
    def minimum(self) -> float:
        return self.low

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < split, left, right)


class Uniform(_Distribution):
    """Uniform on [low, high]."""

    kind: Literal["uniform"] = "uniform"
    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("uniform needs low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    @property
    def minimum(self) -> float:
        return self.low

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        return self.low + np.multiply(u, self.high - self.low)


class Empirical(_Distribution):
    """Resample observed values (e.g. visit lengths from an EHR audit log), each equally likely or weighted."""

    kind: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=1, description="Observed values to resample.")
    weights: list[float] | None = Field(
        default=None, description="Relative weight of each value; equal weights when omitted."
    )

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative and not all zero")
        return self

    def _probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._probabilities(), self.values))

    @property
    def variance(self) -> float:
        p, v = self._probabilities(), np.asarray(self.values, dtype=float)
        return float(np.dot(p, (v - np.dot(p, v)) ** 2))

    @property
    def minimum(self) -> float:
        return min(self.values)

    def from_uniform(self, u: Uniforms) -> np.ndarray:
        cumulative = np.cumsum(self._probabilities())
        index = np.minimum(np.searchsorted(cumulative, u, side="right"), len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[index]


def _number_means_fixed(value: Any) -> Any:
    """Let a bare number stand for a fixed value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | Normal | Lognormal | Gamma | Weibull | Triangular | Uniform | Empirical,
    Field(discriminator="kind"),
    BeforeValidator(_number_means_fixed),
]
"""Any distribution; a bare number means fixed."""


def _normal_truncated_at_zero(value: Any) -> Any:
    """A normal duration (as found in the literature) is truncated at zero."""
    if isinstance(value, dict) and value.get("kind") == "normal":
        return {"truncated_below": 0, **value}
    return value


def _non_negative(value: Any) -> Any:
    if isinstance(value, Fixed) and value.value < 0:
        raise ValueError(f"a duration cannot be negative, got {value.value:g}")
    if isinstance(value, _Distribution) and value.minimum < 0:
        raise ValueError(
            f"a duration cannot be negative, but this {value.kind} distribution can go below 0 "
            "(use lognormal, gamma, weibull, triangular or a non-negative range)"
        )
    return value


Duration = Annotated[Distribution, BeforeValidator(_normal_truncated_at_zero), AfterValidator(_non_negative)]
"""A distribution of durations (minutes): it can never produce a negative value (a normal is truncated at 0)."""
