"""HTML reports, each one self-contained file with CSVs beside it: the comparison report (``comparison``), the
sweep report (``sweep``), the report of access over weeks (``access``), the calibration report (``calibration``),
the optimization report (``optimization``) and the page they share (``page``: templates, embedded figures)."""
