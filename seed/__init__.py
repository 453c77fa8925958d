"""Seed data: the trip reports as YAML (``seed/data``), their loader and the demo data.

``loader.load_seed`` is the one loader used by ``flask seed`` and by the tests;
``demo.load_demo`` adds demo accounts and a 2017–2018 history (never in production).
"""
