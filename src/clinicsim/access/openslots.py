"""The open positions of one (provider, visit type, hold), found earliest first without scanning full days.

The days that still have an open position are kept sorted, and each such day's open positions in time order (a
higher position number is a later time on the same provider-day, see ``supply``), so finding the earliest open
position from a day on costs a binary search plus the positions of that day, whatever the backlog.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Sequence


class OpenSlots:
    """Open positions of one (provider, visit type, hold) by day."""

    __slots__ = ("days", "by_day")

    def __init__(self) -> None:
        self.days: list[int] = []
        """Days with at least one open position, increasing."""
        self.by_day: dict[int, list[int]] = {}
        """Each such day's open positions, increasing (= in time order)."""

    def put(self, day: int, position: int) -> None:
        """Open ``position`` (a new one, or one freed by a cancellation)."""
        found = self.by_day.get(day)
        if found is None:
            self.by_day[day] = [position]
            insort(self.days, day)
        else:
            insort(found, position)

    def take(self, day: int, position: int) -> None:
        """Close ``position`` (booked)."""
        found = self.by_day[day]
        found.remove(position)
        if not found:
            del self.by_day[day]
            del self.days[bisect_left(self.days, day)]

    def forget_before(self, day: int) -> None:
        """Drop the days before ``day``: their open positions went unused."""
        cut = bisect_left(self.days, day)
        for gone in self.days[:cut]:
            del self.by_day[gone]
        del self.days[:cut]

    def earliest(
        self,
        first_day: int,
        first_min: float,
        last_day: int,
        times: Sequence[float],
        *,
        count: int = 1,
        usable: Callable[[int], bool] | None = None,
    ) -> list[int]:
        """Up to ``count`` open positions, earliest first, on days ``first_day`` to ``last_day``, those of
        ``first_day`` at ``first_min`` or later (minutes from midnight), and ``usable`` if given."""
        found: list[int] = []
        days = self.days
        for k in range(bisect_left(days, first_day), len(days)):
            day = days[k]
            if day > last_day:
                break
            for position in self.by_day[day]:
                if day == first_day and times[position] < first_min:
                    continue
                if usable is not None and not usable(position):
                    continue
                found.append(position)
                if len(found) == count:
                    return found
        return found
