"""Counting what a DynamoDB client asks for: requests per operation and the write units they
cost (shared.stream.connectors.capacity), from the requests themselves, so the figures hold
whatever endpoint serves them."""

from collections import Counter
from typing import Any

from shared.stream.connectors.capacity import write_units


class DynamoMeter:
    def __init__(self, client: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.write_units = 0
        client.meta.events.register("before-parameter-build.dynamodb", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        self.requests[operation] += 1
        if operation == "PutItem":
            self.write_units += write_units(params["Item"])
        elif operation == "TransactWriteItems":
            self.write_units += sum(
                write_units(action["Put"]["Item"], transactional=True)
                for action in params["TransactItems"]
                if "Put" in action
            )
        elif operation == "BatchWriteItem":
            self.write_units += sum(
                write_units(request["PutRequest"]["Item"])
                for requests in params["RequestItems"].values()
                for request in requests
                if "PutRequest" in request
            )

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.write_units = 0
