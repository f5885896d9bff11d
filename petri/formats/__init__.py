"""Net file formats: each module reads files into a ``petri.model.Net`` and writes one back."""
