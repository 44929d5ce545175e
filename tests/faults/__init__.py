"""Fault injection over every port of the listener, for the stateful property tests."""
