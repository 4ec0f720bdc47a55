"""Follow-up reminders and team digests: planning, the scheduler, Slack rendering and actions.

- `planner`: when reminders fire; writes one `deliveries` row per occurrence; postpone,
  hold, add and move follow-ups.
- `scheduler`: `tick()` claims due rows with a lease and sends them; `run_forever()`;
  `health()`.
- `render`: the Danish Block Kit of the reminder DM and the team digest.
- `actions`: Bolt listeners for the reminder buttons (postpone, held).
- `cli`: `praktikbot remind`.
"""
