"""Pure playback policy: who may play what, how (no I/O; inputs and ``now`` are arguments)."""
