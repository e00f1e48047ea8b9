"""factory-os: git-native memory and governance for a factory of agents and people."""

__version__ = "0.1.0"
