"""Tests for the CSV, XLSX and ZIP exports."""
