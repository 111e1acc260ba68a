"""Business services: each takes a Session (and settings/store where needed) and returns plain data."""
