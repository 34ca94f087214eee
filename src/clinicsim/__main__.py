"""``python -m clinicsim``: the command line, for environments where the ``clinicsim`` script is not on PATH."""

from clinicsim.cli import main

main(prog_name="clinicsim")
