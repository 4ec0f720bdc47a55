"""Follow-up reminders and team digests: planning, the delivery queue, the tick, sending,
Slack rendering and actions.

- `planner`: when reminders fire; writes one `deliveries` row per occurrence. Changing
  the follow-ups themselves is `bot.followups`.
- `queue`: the delivery statuses, every allowed transition (as data) and the leases;
  the statements that move rows.
- `scheduler`: `tick()`: housekeeping, claiming, sending and marking one batch after
  another. The loop that ticks is `bot.background`; its health is `bot.health`.
- `outgoing`: what a claimed row sends, or why it is cancelled.
- `sending`: the Slack client, sending, failures, backoff and the pause after a 429.
- `render`: the Danish Block Kit of the reminder DM and the team digest.
- `actions`: Bolt listeners for the reminder buttons (postpone, held).
- `cli`: `praktikbot remind`.
"""
