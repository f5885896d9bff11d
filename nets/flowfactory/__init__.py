"""The FlowFactory nets (TOML), data tables (``data/``), scenarios and trained policies."""
