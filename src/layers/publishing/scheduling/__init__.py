"""Scheduling endpoints: schedule a container, reschedule, cancel, read scheduled posts."""
