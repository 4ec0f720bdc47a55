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

QUESTION_BLOCK = "q"  # block_id f"q|{step_id}" on a question's interactive block
SLASH_COMMAND = "/praktik"
CONTINUE = "pb_continue"  # the guide's 'Registrér mødet': value JSON {"flow", "praktik", "from"}
PROPOSAL = "pb_proposal"  # f"{PROPOSAL}:accept" / ":decline", value = proposal id
CORRECT = "pb_correct"  # 'Ret et svar': value JSON {"conversation": id} or {"praktik": id}
CORRECT_PICK = "pb_correct_pick"  # static select, value f"{conversation id}:{step id}"
