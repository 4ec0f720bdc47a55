"""Action, block and callback ids the bot's Block Kit uses, in one place: the renderers
write them and the listeners match on them (all at most 255 characters with what is
appended: `kit.ID_LENGTH`). Ids that only lay a message out ("menu", "summary") stay
where the block is built."""

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
RESULTS = "pb_results"  # Home: the Resultater view (team leads, administrators)
HANDOVER = "pb_handover"  # users_select in a team lead's Home
HANDOVER_BLOCK = "handover"  # block_id f"handover|{praktik id}" of the users_select

# Reminder DMs (bot/reminders/render.py; listeners in bot/slack/listeners/reminders.py, and the
# start buttons in bot/slack/listeners/actions.py).
REMINDER_START = "pb_rem_start"  # f"{REMINDER_START}:{prepare|form|outcome|status}", value
# JSON {"flow", "praktik"[, "followup"]}
# Buttons f"{REMINDER_POSTPONE}:{working days}" (value = follow-up id): reminders sent
# before the overflow menu carry them, and they keep working.
REMINDER_POSTPONE = "pb_rem_postpone"
REMINDER_POSTPONE_DATE = "pb_rem_postpone_date"  # datepicker
REMINDER_HELD = "pb_rem_held"  # value = follow-up id
REMINDER_MORE = "pb_rem_more"  # the overflow menu ("⋯") with the rarer choices:
MORE_POSTPONE = "postpone"  # its option values f"{MORE_POSTPONE}:{working days}"
MORE_PICK_DATE = "pick_date"  # and the one that shows the date picker in the reminder
# block_id f"rem|{followup id}|{version}" of a reminder's actions block: the state the
# buttons were rendered for.
REMINDER_BLOCK = "rem"

# Absence and stand-in (bot/slack/absence_ui.py): the form in the DM, and its buttons.
ABSENCE_OPEN = "pb_abs_open"  # value "new" or an absence id: post the form in the DM
ABSENCE_SAVE = "pb_abs_save"  # block_id f"abs_save|{absence id or 0}"
ABSENCE_END = "pb_abs_end"  # value = absence id
ABSENCE_WHO = "pb_abs_who"  # users_select (a lead: whose absence)
ABSENCE_FIRST = "pb_abs_first"  # datepicker
ABSENCE_LAST = "pb_abs_last"  # datepicker
ABSENCE_STAND_IN = "pb_abs_stand_in"  # users_select
# block_ids of the form's pickers (the state the save button reads), and of its save button:
ABSENCE_WHO_BLOCK = "abs_who"
ABSENCE_FIRST_BLOCK = "abs_first"
ABSENCE_LAST_BLOCK = "abs_last"
ABSENCE_STAND_IN_BLOCK = "abs_sub"
ABSENCE_SAVE_BLOCK = "abs_save"
NOTE_OPEN = "pb_note_open"  # value = case note id: the note as copyable text (a modal)

QUESTION_BLOCK = "q"  # block_id f"q|{step_id}" on a question's interactive block
SLASH_COMMAND = "/praktik"

# Forms (modals): the same conversations, filled in as a form.
FORM_OPEN = "pb_form_open"  # "Udfyld som formular" with a question in a thread
FORM_START = "pb_form_start"  # f"{FORM_START}:{n}" on Home: button or select, value as START
FORM_VIEW = "pb_form"  # callback_id of the form modal; private_metadata = conversation key
FORM_SUMMARY = "pb_form_summary"  # callback_id of the summary modal (submit = Gem)
FORM_INFO = "pb_form_info"  # callback_id of a modal that only tells (loading, saved, refused)
FORM_FIELD = "pb_form_field"  # action_id of a form input
FORM_DISPATCH = "pb_form_dispatch"  # action_id of an input other questions read: redraws
FORM_EDIT = "pb_form_edit"  # "Ret svar" in the summary modal
FIELD_BLOCK = "f"  # block_id f"f|{field id}|{options key}" of a form input
CONTINUE = "pb_continue"  # the guide's 'Registrér mødet': value JSON {"flow", "praktik", "from"}
PROPOSAL = "pb_proposal"  # f"{PROPOSAL}:accept" / ":decline", value = proposal id
CORRECT = "pb_correct"  # 'Ret et svar': value JSON {"conversation": id} or {"praktik": id}
CORRECT_PICK = "pb_correct_pick"  # static select, value f"{conversation id}:{step id}"
