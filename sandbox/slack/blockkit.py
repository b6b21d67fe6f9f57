"""Block Kit as Slack checks it: blocks and views parsed with slack_sdk's models, then held to
Slack's limits (block counts, tables, unique ids). Pure: the emulator reports what these find.
"""

import copy
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
TABLE_ROWS = 100
TABLE_CELLS = 20
TABLE_CHARS = 10_000


def _dropped(sent: Any, parsed: Any, path: str) -> list[str]:
    """Properties that slack_sdk's models did not recognise (Slack refuses unknown ones)."""
    problems: list[str] = []
    if isinstance(sent, dict) and isinstance(parsed, dict):
        for key, value in sent.items():
            if key not in parsed:
                problems.append(f"unsupported property `{key}` [json-pointer:{path}/{key}]")
            else:
                problems.extend(_dropped(value, parsed[key], f"{path}/{key}"))
    elif isinstance(sent, list) and isinstance(parsed, list):
        for index, (a, b) in enumerate(zip(sent, parsed, strict=False)):
            problems.extend(_dropped(a, b, f"{path}/{index}"))
    return problems


def _check_table(block: dict, path: str) -> list[str]:
    problems = []
    rows = block.get("rows") or []
    if len(rows) > TABLE_ROWS:
        problems.append(f"must have at most {TABLE_ROWS} rows [json-pointer:{path}/rows]")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        problems.append(f"rows must all have the same number of cells [json-pointer:{path}/rows]")
    chars = 0
    for r, row in enumerate(rows):
        if len(row) > TABLE_CELLS:
            problems.append(f"a row has at most {TABLE_CELLS} cells [json-pointer:{path}/rows/{r}]")
        for c, cell in enumerate(row):
            if cell.get("type") == "raw_text":
                text = cell.get("text")
                if not isinstance(text, str) or not text:
                    problems.append(
                        f"raw_text must not be empty [json-pointer:{path}/rows/{r}/{c}/text]"
                    )
                else:
                    chars += len(text)
            elif cell.get("type") not in ("rich_text", "raw_number"):
                problems.append(f"unknown cell type [json-pointer:{path}/rows/{r}/{c}]")
    if chars > TABLE_CHARS:
        problems.append(f"a table holds at most {TABLE_CHARS} characters [json-pointer:{path}]")
    return problems


def _check_block(block: Any, path: str) -> list[str]:
    if not isinstance(block, dict) or "type" not in block:
        return [f"a block must be an object with a type [json-pointer:{path}]"]
    parsed = Block.parse(copy.deepcopy(block))
    if parsed is None:
        return [f"unknown block type `{block['type']}` [json-pointer:{path}]"]
    try:
        round_trip = parsed.to_dict()
    except SlackObjectFormationError as error:
        return [f"{error} [json-pointer:{path}]"]
    problems = _dropped(block, round_trip, path)
    if block["type"] == "table":
        problems.extend(_check_table(block, path))
    if block["type"] == "actions":
        ids = [e.get("action_id") for e in block.get("elements", []) if e.get("action_id")]
        if len(ids) != len(set(ids)):
            problems.append(f"action_id values must be unique [json-pointer:{path}/elements]")
    return problems


def check_blocks(blocks: Any, *, limit: int, surface: str, path: str = "/blocks") -> list[str]:
    """Problems Slack would report for `blocks` on `surface` ("message" or a view type)."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{path}]"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{path}]")
    tables = 0
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        problems.extend(_check_block(block, f"{path}/{index}"))
        if isinstance(block, dict):
            if block.get("type") == "table":
                tables += 1
                if surface != "message":
                    problems.append(
                        f"table blocks are for messages only [json-pointer:{path}/{index}]"
                    )
            block_id = block.get("block_id")
            if block_id is not None:
                if block_id in block_ids:
                    problems.append(f"duplicate block_id [json-pointer:{path}/{index}/block_id]")
                block_ids.add(block_id)
    if tables > 1:
        problems.append(f"only one table is allowed per message [json-pointer:{path}]")
    return problems


def check_view(view: Any) -> list[str]:
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return ["type must be modal or home [json-pointer:/view/type]"]
    try:
        parsed = View(**copy.deepcopy(view)).to_dict()
    except (SlackObjectFormationError, TypeError) as error:
        return [f"{error} [json-pointer:/view]"]
    problems = [p for p in _dropped(view, parsed, "/view") if "/view/blocks" not in p]
    problems.extend(
        check_blocks(view.get("blocks"), limit=VIEW_BLOCKS, surface=kind, path="/view/blocks")
    )
    if kind == "modal":
        if not view.get("title"):
            problems.append("a modal needs a title [json-pointer:/view/title]")
        has_inputs = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_inputs and not view.get("submit"):
            problems.append("a modal with input blocks needs submit [json-pointer:/view/submit]")
    return problems
