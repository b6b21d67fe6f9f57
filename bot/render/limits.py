"""Slack's Block Kit limits that the renderers stay within (docs.slack.dev, Block Kit reference)."""

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and the Home tab
MESSAGE_TEXT = 40_000  # top-level `text`; kept far shorter here, it is a notification line
FALLBACK_TEXT = 3_000

HEADER_TEXT = 150
SECTION_TEXT = 3_000
SECTION_FIELDS = 10
FIELD_TEXT = 2_000
CONTEXT_ELEMENTS = 10

ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
ACTION_ID = 255

CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30

TABLE_ROWS = 100  # the header row included
TABLE_COLUMNS = 20
TABLE_CHARS = 10_000  # all cells together; Slack's cap for tables (data table reference)

MODAL_TITLE = 24
MODAL_BUTTON = 24  # submit and close
PRIVATE_METADATA = 3_000
INPUT_LABEL = 2_000
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
OVERFLOW_OPTIONS = 5
PLACEHOLDER = 150
