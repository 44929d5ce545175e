"""A Zipf workload of submissions: a few titles and users take most of the traffic, as in real
list updates (one user's stats updated over and over, a long tail of rare lists)."""

import random
from collections.abc import Iterator
from typing import Any

MOVIES = [f"movie {n}" for n in range(40)]


def submissions(
    count: int, seed: int = 7, titles: int = 50, users: int = 500, exponent: float = 1.1
) -> Iterator[dict[str, Any]]:
    """`count` submissions; title and user each drawn from a Zipf distribution. Even-numbered
    titles are tallies, odd ones rankings of three to six movies."""
    rng = random.Random(seed)
    title_weights = [1 / (rank**exponent) for rank in range(1, titles + 1)]
    user_weights = [1 / (rank**exponent) for rank in range(1, users + 1)]
    for _ in range(count):
        title = rng.choices(range(titles), weights=title_weights)[0]
        user = rng.choices(range(users), weights=user_weights)[0]
        if title % 2 == 0:
            entries: dict[str, int] = {
                key: rng.randint(-5, 50) for key in rng.sample(["xp", "gold", "kills", "deaths"], 2)
            }
            yield {"title": f"title {title}", "user": f"user {user}", "type": "tally", "entries": entries}
        else:
            picked = rng.sample(MOVIES, rng.randint(3, 6))
            yield {
                "title": f"title {title}",
                "user": f"user {user}",
                "type": "rank",
                "entries": {movie: place for place, movie in enumerate(picked, start=1)},
            }
