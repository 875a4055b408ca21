"""Tests of the numeric engine (fsmf_check.numeric)."""
