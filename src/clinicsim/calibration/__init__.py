"""Calibration from the clinic's own EHR timestamps: read a visit export, find its data problems, fit the
scenario's numbers to it, and back-test the fitted scenario against the observed days."""
