"""Helpers the tests share: builders, harnesses and stand-ins, apart from the fixtures in the
conftest modules, so no test imports another test module or a conftest."""
