"""What the local stack runs on: serverless.yml read as the Framework does (config.py), its
resources (resources.py) and functions (functions.py, environment.py, their logs in logbook.py),
the event source mappings (mappings/), and what keeps the stack across stops and starts (drain,
leftovers, table snapshots, Time to Live, the folder lock)."""
