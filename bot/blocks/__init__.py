"""Block Kit shared by every Slack surface (thread messages, modals, App Home, reminder
DMs and digests): `kit` (Slack's limits, mrkdwn escaping, the builders, splitting long
text and long messages), `ids` (action, block and callback ids) and `payloads` (reading
what a click sends back). It imports nothing else of the bot's, so `bot.slack` and
`bot.reminders` both build on it without importing each other."""
