"""Batch sweeps, in the order the data flows: a sweep file -> validated points (``spec``) -> chunks of
replications on any Executor (``runner``) -> the resumable SQLite result store (``store``) -> point means, main
effects and Pareto fronts (``analysis``). Reading a store imports neither the engine nor matplotlib."""
