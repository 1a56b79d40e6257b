"""Amaranth components: one file per stage family, the shared pipeline, the design top."""
