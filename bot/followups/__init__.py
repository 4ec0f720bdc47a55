"""Follow-ups: the meetings and checks a praktik gets, and every rule for changing them.

- `kinds`: the kinds of follow-up and their Danish names (read from the flow file where a
  consultant picks one).
- `plan`: a type's plan (app.yaml `followup_plans`): the follow-ups a new praktik gets and
  their due dates.
- `changes`: postpone, mark held, cancel, add by hand, move with the praktik's dates; which
  follow-up a completed form or status answers. A due date is never in the past.

When their reminders fire is `bot.reminders.planner`; the delivery rows are
`bot.delivery_queue`.
"""
