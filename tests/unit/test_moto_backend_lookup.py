"""moto's dispatcher finds a request's service without reading its package folder each time
(listmgr/endpoint/moto_server.py, `fast_backend_lookup`), and finds the same services."""

import os
from typing import Any

import pytest
from moto import backends

from listmgr.endpoint import moto_server

FOLDERS_ON_DISK = sorted(
    name
    for name in os.listdir(os.path.dirname(backends.__file__))
    if os.path.isdir(os.path.join(os.path.dirname(backends.__file__), name)) and not name.startswith("__")
)


def test_the_services_are_those_of_the_package_and_the_disk_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_server.fast_backend_lookup()

    def refused(*_: Any) -> Any:
        raise AssertionError("read the disk")

    monkeypatch.setattr(os, "listdir", refused)
    monkeypatch.setattr(os.path, "isdir", refused)
    assert sorted(backends.list_of_moto_modules()) == FOLDERS_ON_DISK
    assert {"dynamodb", "kinesis", "sqs", "dynamodbstreams"} <= set(backends.list_of_moto_modules())
