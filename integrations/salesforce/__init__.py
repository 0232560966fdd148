"""Salesforce CRM client (no models): see client.py."""
