"""Inbound email, the email channel (services.py says what a message becomes)."""
