"""Evaluation scripts: measure pica's analysers on labelled data (never shipped data)."""
