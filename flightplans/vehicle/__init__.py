"""Uploading missions to vehicles (dronekit for ArduPilot, the MAVLink mission protocol through pymavlink)."""
