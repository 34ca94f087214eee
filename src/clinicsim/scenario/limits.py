"""Documented limits of a scenario file, checked up front with a clear message before memory or time is spent.

A real clinic day is far inside them (the bundled family-medicine practice: 7 KB, 4 providers, 84 appointments,
8 rooms); they exist so that a typo such as ``exam_rooms: 100000000`` or ``slot_min: 0.000000001`` is an error
in a second, not a run that exhausts memory.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1_000_000
"""Largest scenario or sweep file read (bytes)."""
MAX_YAML_VALUES = 200_000
"""Most values (mappings, lists and scalars, YAML aliases counted every time they are used) in one file."""
MAX_NESTING = 32
"""Deepest nesting of mappings and lists in a file."""
MAX_EXTENDS = 16
"""Longest chain of ``extends:`` bases."""
MAX_PROVIDERS = 1_000
MAX_STAFF_PER_GROUP = 1_000
MAX_STAFF_GROUPS = 1_000
MAX_EXAM_ROOMS = 5_000
"""Exam rooms of the shared pool, or of one provider."""
MIN_SLOT_MIN = 1.0
"""Shortest slot of a template (minutes)."""
MAX_EXTRA_PER_SESSION = 200
"""Most overbooked appointments a template adds to one session."""
MAX_APPOINTMENTS_PER_DAY = 20_000
"""Most booked appointments a simulated day may hold (all working providers)."""
MAX_WALK_INS_PER_DAY = 20_000
"""Most walk-ins a simulated day may expect (rates times hours, all streams)."""
MAX_WORK_ITEMS_PER_DAY = 50_000
"""Most work items between visits a simulated day may expect at rates and in batches (per stream)."""
MAX_CLOCK_MIN = 3 * 24 * 60
"""Latest clock time and longest duration mean a scenario may state (minutes: three days)."""
