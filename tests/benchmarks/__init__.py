"""The benchmark suite: `make bench` (``python -m tests.benchmarks``).

Not pytest tests: no module here is named ``test_*.py``, so pytest collects nothing from
this package, and nothing here asserts on times. Every figure is printed next to a floor
measured in the same run (what the platform itself costs), as a ratio.

Modules: `turns` (turn latency against a bare Bolt app), `reminders` (one tick over a
municipality-sized store), `instances` (three scheduler processes sending 10,000
reminders on one PostgreSQL), `footprint` (resident memory and start-up of
``praktikbot serve``), `floor_app` (the bare Bolt app, run as a process), `seeding`
(bulk test data), `common` (stand-in timing, processes, PostgreSQL, the table).
"""
