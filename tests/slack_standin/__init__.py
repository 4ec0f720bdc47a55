"""In-process Slack Web API stand-in for the bot's tests."""

from .blockkit import validate_blocks, validate_view
from .server import RecordedCall, SlackError, SlackStandIn

__all__ = ["RecordedCall", "SlackError", "SlackStandIn", "validate_blocks", "validate_view"]
