"""Action and callback ids the bot's Block Kit uses. Listeners match on these prefixes."""

ANSWER = "pb_answer"  # buttons: f"{ANSWER}:{n}", value = option value
ANSWER_SELECT = "pb_answer_select"  # static select
ANSWER_DATE = "pb_answer_date"  # date picker
MULTI_INPUT = "pb_multi_input"  # checkboxes / multi select (read on submit)
MULTI_SUBMIT = "pb_multi_submit"
COMMAND = "pb_command"  # f"{COMMAND}:{back|skip|cancel|help}", value f"{command}|{step id}"
CONFIRM = "pb_confirm"
EDIT = "pb_edit"  # f"{EDIT}:{n}", value = step id
START = "pb_start"  # f"{START}:{n}", value = JSON {"flow": ..., "praktik": ...}
PICK_PRAKTIK = "pb_pick_praktik"  # static select, value = f"{flow}:{praktik id}"
HOME_PAGE = "pb_home_page"  # f"{HOME_PAGE}:{n}", value = page number
HANDOVER = "pb_handover"  # users_select in a team lead's Home; block_id f"handover|{praktik id}"
REMINDER_START = "pb_rem_start"  # reminder buttons that start a flow (value as START)

# Absence and stand-in (bot/slack/absence_ui.py): the form in the DM, and its buttons.
ABSENCE_OPEN = "pb_abs_open"  # value "new" or an absence id: post the form in the DM
ABSENCE_SAVE = "pb_abs_save"  # block_id f"abs_save|{absence id or 0}"
ABSENCE_END = "pb_abs_end"  # value = absence id
ABSENCE_WHO = "pb_abs_who"  # users_select (a lead: whose absence)
ABSENCE_FIRST = "pb_abs_first"  # datepicker
ABSENCE_LAST = "pb_abs_last"  # datepicker
ABSENCE_STAND_IN = "pb_abs_stand_in"  # users_select
NOTE_OPEN = "pb_note_open"  # value = case note id: the note as copyable text (a modal)

QUESTION_BLOCK = "q"  # block_id f"q|{step_id}" on a question's interactive block
SLASH_COMMAND = "/praktik"
