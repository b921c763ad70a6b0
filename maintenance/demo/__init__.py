"""Demo data: a fresh install's organisations and units, and a made-up year of activity."""
