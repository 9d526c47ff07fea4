"""Rhythm analysis from beat (or pulse) intervals: AF, brady/tachy, pauses, ectopy, HRV."""
