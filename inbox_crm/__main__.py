"""`python -m inbox_crm` runs the command line."""

from inbox_crm.cli.main import main

main()
