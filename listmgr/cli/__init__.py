"""The `listmgr` command line: main.py (its parser and main()), up.py (`listmgr up`: the local
stack assembled and run, what it shows while it runs in progress.py, the console's local endpoints
in console_server.py), commands.py (send, tail, invoke, replay, db migrate), dlq.py, reset.py."""
