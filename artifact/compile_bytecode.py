"""Adds bytecode to a Lambda artifact: `compile_bytecode.py ARTIFACT.zip --runtime python3.12`.

Lambda's /var/task is read-only, so a module shipped without its .pyc is compiled again on every
cold start and never cached (the listener's imports took 0.62 s so, 0.25 s with bytecode, on the
machine of docs/TOOLING facts). Bytecode is specific to the CPython minor version, so it is made by
the runtime's own Python (`python3.12` for the `python3.12` runtime): found on PATH, under pyenv,
or named by LISTMGR_BYTECODE_PYTHON. Without one the artifact is left as it is, and this says so.

`unchecked-hash` bytecode is used without looking at the source's modification time, which the
zip does not keep faithfully; the artifact is immutable, so there is nothing to check. File names
in tracebacks read /var/task/..., where Lambda unpacks the artifact.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

TASK_ROOT = "/var/task"
# A fixed time for the added entries: the same inputs give the same bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def find_python(runtime: str) -> str | None:
    """An interpreter of the runtime's version (`python3.12`), or None."""
    version = runtime.removeprefix("python")
    candidates = [
        os.environ.get("LISTMGR_BYTECODE_PYTHON", ""),
        shutil.which(f"python{version}") or "",
        *sorted(
            glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")), reverse=True
        ),
    ]
    for candidate in filter(None, candidates):
        # pyenv's shim exists on PATH even when the version is not selected, and then fails.
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def compile_artifact(artifact: Path, python: str) -> int:
    """Compiles every module of the artifact and adds the bytecode to it; returns how many."""
    with tempfile.TemporaryDirectory() as scratch:
        with zipfile.ZipFile(artifact) as archive:
            archive.extractall(scratch)
        strip_to_task_root = ["-s", scratch, "-p", TASK_ROOT, scratch]
        subprocess.run(
            [python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", *strip_to_task_root],
            check=True,
        )
        compiled = sorted(Path(scratch).rglob("__pycache__/*.pyc"))
        with zipfile.ZipFile(artifact, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            present = set(archive.namelist())
            for path in compiled:
                name = path.relative_to(scratch).as_posix()
                if name in present:
                    continue
                entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, path.read_bytes())
    return len(compiled)


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--runtime", default="python3.12")
    options = parser.parse_args(arguments)
    python = find_python(options.runtime)
    if python is None:
        print(
            f"compile_bytecode: no {options.runtime} interpreter found (PATH, pyenv, "
            f"LISTMGR_BYTECODE_PYTHON): {options.artifact.name} ships WITHOUT bytecode, and every "
            "cold start compiles its modules again",
            file=sys.stderr,
        )
        return 0
    count = compile_artifact(options.artifact, python)
    print(f"compile_bytecode: {count} modules compiled by {python} into {options.artifact.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
