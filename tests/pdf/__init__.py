"""Tests for the bid pack PDF builder."""
