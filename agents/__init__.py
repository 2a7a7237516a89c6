"""Faust agents: thin loops from a stream to a pure decision to a table, a topic or a row."""
