"""The scenario language (pydantic models) and scenario files (YAML with line-precise errors)."""

from clinicsim.scenario.files import (
    Problem,
    ScenarioError,
    ScenarioWarning,
    load_scenario,
    parse_scenario_text,
    scenario_to_yaml,
)
from clinicsim.scenario.model import (
    BaileyWelch,
    Clinic,
    FixedInterval,
    Interval,
    Overbooking,
    PatientBehaviour,
    Provider,
    Scenario,
    StaffGroup,
    Template,
    VisitType,
    WalkIns,
    Wave,
)
from clinicsim.scenario.vocabulary import BLOCKED, format_clock, staff_groups_for

__all__ = [
    "BLOCKED",
    "BaileyWelch",
    "Clinic",
    "FixedInterval",
    "Interval",
    "Overbooking",
    "PatientBehaviour",
    "Problem",
    "Provider",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "StaffGroup",
    "Template",
    "VisitType",
    "WalkIns",
    "Wave",
    "format_clock",
    "load_scenario",
    "parse_scenario_text",
    "scenario_to_yaml",
    "staff_groups_for",
]
