"""Change the plan: named variants of the base, each setting a form control, each edit validated at once.

A variant is kept as a small ``extends:`` file of its changes (downloadable), so what is made here runs the same
through ``clinicsim compare``. An edit that makes no valid scenario is not kept: its problem is shown under the
control, and the variant stays as it was.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
import streamlit as st

from clinicsim.app.pages.common import base_or_stop, show_problem, show_warnings
from clinicsim.app.plan_controls import RULES, SECTIONS, Control, change, controls, settings_changed, side_by_side
from clinicsim.app.state import workspace
from clinicsim.app.workspace import slug
from clinicsim.scenario import Scenario
from clinicsim.scenario.problems import Problem, ScenarioError

_NONE, _AUTO, _EXTRA = "none", "auto", "a number"


def page() -> None:
    st.title("Change the plan")
    base = base_or_stop()
    ws = workspace()
    st.caption(f"Variants of **{base.name}**. Each is kept as a small file of its changes that extends the base.")
    name = _choose_variant()
    if name is None:
        return
    scenario = ws.variant_scenario(name)
    _side_by_side(base)
    _variant_header(name, base, scenario)
    problems: list[Problem] = st.session_state.setdefault(f"plan_problems:{name}", [])
    by_section: dict[str, list[Control]] = defaultdict(list)
    for control in controls(scenario):
        by_section[control.section].append(control)
    sections = [s for s in SECTIONS if by_section[s]]
    for section, tab in zip(sections, st.tabs(sections)):
        with tab:
            _section(name, by_section[section], problems)


def _choose_variant() -> str | None:
    ws = workspace()
    variants = list(ws.variants())
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    with right:
        new = st.text_input("New variant", placeholder="e.g. 15-minute slots", key="plan_new_name")
        if st.button("Add variant", key="plan_add", disabled=not new.strip()):
            try:
                ws.save_variant(new, {})
            except ScenarioError as error:
                for problem in error.problems:
                    show_problem(problem)
            else:
                _show_next(new)
    if not variants:
        with left:
            st.info("No variant yet: name one and add it.")
        return None
    with left:
        chosen = st.session_state.pop("plan_variant_next", st.session_state.get("plan_variant"))
        st.session_state["plan_variant"] = chosen if chosen in variants else variants[-1]
        return st.selectbox("Variant", variants, key="plan_variant")


def _show_next(name: str) -> None:
    """Show variant ``name`` once the page is drawn again (the variant chooser is already drawn in this run)."""
    st.session_state["plan_variant_next"] = name.strip()
    st.rerun()


def _side_by_side(base: Scenario) -> None:
    ws = workspace()
    names = list(ws.variants())
    if len(names) < 2:
        return
    with st.expander(f"All {len(names)} variants side by side"), st.container(key="plan_side_by_side"):
        st.dataframe(side_by_side(base, {name: ws.variant_scenario(name) for name in names}))


def _variant_header(name: str, base: Scenario, scenario: Scenario) -> None:
    ws = workspace()
    changed = settings_changed(base, scenario)
    with st.container(key="plan_changes"):
        if changed:
            st.markdown(f"**{name}** changes {len(changed)} setting{'s' if len(changed) != 1 else ''} of the base:")
            st.dataframe(pd.DataFrame(changed, columns=["setting", "base", name]), hide_index=True)
        else:
            st.markdown(f"**{name}** is the base as it is: change a setting below.")
        show_warnings(scenario)
    left, middle, right = st.columns(3, vertical_alignment="bottom")
    with middle:
        new_name = st.text_input("Rename to", value=name, key=f"plan_rename:{slug(name)}")
        if new_name.strip() and new_name.strip() != name:
            try:
                ws.save_variant(new_name, ws.variant(name).changes, replaces=name)
            except ScenarioError as error:
                for problem in error.problems:
                    show_problem(problem)
            else:
                _show_next(new_name)
    with left:
        st.download_button(
            "Download the variant file",
            ws.download_text(name),
            file_name=f"{slug(name)}.yaml",
            mime="application/x-yaml",
            key="plan_download",
            icon=":material/download:",
        )
    with right:
        if st.button("Delete this variant", key="plan_delete", icon=":material/delete:"):
            ws.delete_variant(name)
            st.rerun()


def _section(variant: str, items: list[Control], problems: list[Problem]) -> None:
    groups: dict[str, list[Control]] = defaultdict(list)
    for control in items:
        groups[control.group].append(control)
    for group, members in groups.items():
        if group:
            st.markdown(f"##### {group}")
        for control in members:
            value = _widget(variant, control)
            if _differs(control, value):
                _apply(variant, control, value, problems)
            else:  # back to what the variant has: nothing wrong with it
                problems[:] = [p for p in problems if not _concerns(p, control)]
            for problem in problems:
                if _concerns(problem, control):
                    show_problem(problem)


def _concerns(problem: Problem, control: Control) -> bool:
    return problem.field == control.path or problem.field.startswith(control.path + ".")


def _key(variant: str, control: Control, part: str = "") -> str:
    return f"plan:{slug(variant)}:{control.path}{':' + part if part else ''}"


def _differs(control: Control, value: Any) -> bool:
    if control.kind == "number":
        return abs(float(value) - float(control.value)) > 1e-9
    return change(control, value)[control.path] != change(control, control.value)[control.path]


def _apply(variant: str, control: Control, value: Any, problems: list[Problem]) -> None:
    """Keep the edit if the variant stays valid; else show why under the control."""
    ws = workspace()
    changes = {**ws.variant(variant).changes, **change(control, value)}
    problems[:] = [p for p in problems if not _concerns(p, control)]
    try:
        ws.save_variant(variant, changes)
    except ScenarioError as error:
        problems.extend(
            p if _concerns(p, control) else Problem(p.line, control.path, f"{p.field}: {p.message}")
            for p in error.problems
        )
        return
    st.rerun()


def _widget(variant: str, control: Control) -> Any:
    """Draw the control's widget; what it holds now."""
    key = _key(variant, control)
    if control.kind == "number":
        return _number(control, key)
    if control.kind in ("choice", "owner"):
        options = list(control.options)
        index = options.index(control.value) if control.value in options else 0
        return st.selectbox(control.label, options, index=index, key=key, help=control.help or None)
    if control.kind == "rule":
        return _rule(control, key)
    if control.kind == "pattern":
        return _pattern(control, key)
    if control.kind == "times":
        options = sorted({*control.options, *control.value})
        return st.multiselect(control.label, options, default=control.value, key=key)
    if control.kind == "overbooking":
        return _overbooking(control, key)
    if control.kind == "shifts":
        frame = st.data_editor(
            pd.DataFrame(control.value, columns=["start", "end"]),
            num_rows="dynamic",
            key=key,
            column_config={"start": "start (HH:MM)", "end": "end (HH:MM)"},
        )
        return frame.to_dict("records")
    raise ValueError(f"no widget for {control.kind}")


def _number(control: Control, key: str) -> float:
    if control.integer:
        return st.number_input(
            control.label,
            value=int(control.value),
            min_value=int(control.low or 0),
            max_value=int(control.high) if control.high is not None else None,
            step=1,
            key=key,
            help=control.help or None,
        )
    return st.number_input(
        control.label,
        value=float(control.value),
        min_value=float(control.low) if control.low is not None else None,
        max_value=float(control.high) if control.high is not None else None,
        step=float(control.step),
        key=key,
        help=control.help or None,
    )


def _rule(control: Control, key: str) -> dict:
    kinds = list(RULES)
    left, right = st.columns(2)
    with left:
        kind = st.selectbox(
            control.label,
            kinds,
            index=kinds.index(control.value["kind"]),
            format_func=RULES.__getitem__,
            key=key + ":kind",
            help=control.help or None,
        )
    with right:
        if kind == "bailey_welch":
            k = st.number_input(
                "Patients booked at each session's start (k)",
                min_value=1,
                max_value=20,
                value=int(control.value.get("k", 2)),
                step=1,
                key=key + ":k",
            )
            return {"kind": kind, "k": int(k)}
        if kind == "wave":
            wave = st.number_input(
                "Wave length (min)",
                min_value=5.0,
                max_value=240.0,
                step=5.0,
                value=float(control.value.get("wave_min", 60.0)),
                key=key + ":wave",
            )
            return {"kind": kind, "wave_min": float(wave)}
    return {"kind": kind}


def _pattern(control: Control, key: str) -> list[str]:
    st.caption(control.label)
    frame = st.data_editor(
        pd.DataFrame({"visit type": control.value}),
        num_rows="dynamic",
        key=key,
        column_config={"visit type": st.column_config.SelectboxColumn(options=list(control.options), required=True)},
        width="stretch",
    )
    return [str(v) for v in frame["visit type"] if isinstance(v, str) and v]


def _overbooking(control: Control, key: str) -> dict | None:
    value = control.value or {}
    extra = value.get("extra_per_session")
    mode = _NONE if not value else _AUTO if extra == "auto" else _EXTRA
    cols = st.columns(3)
    with cols[0]:
        mode = st.selectbox(
            control.label,
            [_NONE, _EXTRA, _AUTO],
            index=[_NONE, _EXTRA, _AUTO].index(mode),
            key=key + ":mode",
            help=control.help or None,
        )
    if mode == _NONE:
        return None
    with cols[1]:
        if mode == _EXTRA:
            count = st.number_input(
                "Extra patients per session",
                min_value=0,
                max_value=int(control.high or 200),
                value=int(extra) if isinstance(extra, int) else 1,
                step=1,
                key=key + ":n",
            )
    with cols[2]:
        placement = st.selectbox(
            "Placed",
            list(control.options),
            key=key + ":placement",
            index=list(control.options).index(value.get("placement", "spread")),
        )
    out = {**value, "extra_per_session": int(count) if mode == _EXTRA else "auto", "placement": placement}
    return out
