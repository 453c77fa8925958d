"""Seed data: the trip reports as YAML (``seed/data``), their loader and the demo data.

``loader.load_seed`` is the one loader used by ``flask seed`` and by the tests: it reads a
folder through marshmallow schemas (``reading``, ``schema``, ``fields``), checks the rules
across records (``checks``), then writes (``loader``). ``demo.load_demo`` adds demo
accounts and a 2017–2018 history (``demo_plan``; never in production).
"""
