"""The Slack front end: Bolt app, listeners, Block Kit rendering, HTTP and Socket Mode."""
