"""What test modules share, imported by package path (`from tests.utils.ids import ADMIN`).

Fixtures live in `conftest.py` files; these are plain values, builders and fakes:
- `ids`: Slack ids and the signing secret; `slack_requests`: signed requests as Slack sends
  them; `slack_flows`: a request posted while the core is held, so the ack must come first;
  `core_spy`: the core behind a Bolt app, recorded and holdable; `slack_messages`: reading what
  the Slack sandbox recorded; `webhooks`: signed TikTok pushes.
- `fakes`: a transport, time and randomness that record; `inventories`: Etsy ListingInventory
  JSON; `clients`: the marketplace clients on fakes; `catalog`: stock and SKUs of the sandbox
  shops.
- `settings`: Settings for a test's shops and database, and as a process environment;
  `database`: PostgreSQL for tests; `processes`: `orderbot` as a real process; `twin_shops`:
  identical sandbox shops for the scenario tests; `source`: reading the repository's code.
"""
