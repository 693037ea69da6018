"""The version of looplens (a module of its own: the agent imports it with nothing else)."""

VERSION = "0.1.0"
