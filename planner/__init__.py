"""planner: least-cost master planning of Lao export power projects and Laos -> Vietnam links."""

__version__ = "0.1.0"
