"""Each function's own environment, though every function runs in this one process.

Lambda gives each function the provider's environment and its own, nothing of the others'.
Here handlers read `os.environ` (through shared.settings) in threads of one process, so
`os.environ` becomes a view that, while a thread runs an invocation, shows that function's
variables over the process's; outside an invocation it is the process's environment as before.
Writes go to the process's environment. A thread a handler starts sees the process's alone
(a new thread starts with a context of its own); the project's handlers start none.
"""

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_current: ContextVar[Mapping[str, str]] = ContextVar("function_environment", default=MappingProxyType({}))


class _FunctionEnviron(MutableMapping[str, str]):
    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process

    def __getitem__(self, name: str) -> str:
        current = _current.get()
        return current[name] if name in current else self.process[name]

    def __setitem__(self, name: str, value: str) -> None:
        self.process[name] = value

    def __delitem__(self, name: str) -> None:
        del self.process[name]

    def __iter__(self) -> Iterator[str]:
        current = _current.get()
        yield from current
        yield from (name for name in self.process if name not in current)

    def __len__(self) -> int:
        return len(set(self.process) | set(_current.get()))

    def copy(self) -> dict[str, str]:
        """As os.environ.copy() does."""
        return dict(self)


def install() -> None:
    """Makes `os.environ` the per-function view (once per process)."""
    if not isinstance(os.environ, _FunctionEnviron):
        # A view over the same environment, not a new one: B003's worry does not apply.
        os.environ = _FunctionEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003


@contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`os.environ` shows `variables` over the process's environment in this thread meanwhile."""
    install()
    token = _current.set(dict(variables))
    try:
        yield
    finally:
        _current.reset(token)
