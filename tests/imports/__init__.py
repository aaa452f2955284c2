"""Tests of app.imports."""
