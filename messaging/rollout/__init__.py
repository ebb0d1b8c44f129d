"""Staged rollout: the flags, stages and criteria, the dashboard figures, telemetry and audit."""
