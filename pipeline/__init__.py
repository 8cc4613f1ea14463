"""The end-to-end pipeline: load -> detect -> order -> crop -> recognise -> clean -> write."""
