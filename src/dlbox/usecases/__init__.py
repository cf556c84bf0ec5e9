"""Use cases: what each dlbox command does, as functions that take typed options and return
typed results (the CLI only parses, calls one of these and renders)."""
