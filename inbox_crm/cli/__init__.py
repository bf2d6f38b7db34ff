"""The command line: one `inbox-crm` script with subcommands."""
