"""Slack ids and the signing secret the tests' Bolt apps and signed requests share."""

TEAM = "T0SANDBOX"
APP = "A0ORDERBOT"
ADMIN = "U0ADMIN"  # in the app's admin list
GUEST = "U0GUEST"  # not an admin
CHANNEL = "C0ORDERS"  # where /orders is typed
ALERT_CHANNEL = "C0ALERTS"  # where alerts are posted
SIGNING_SECRET = "sandbox-signing-secret"
SHIPPER = "U0PACKER"  # in the app's shippers list (ORDERBOT_SHIPPERS), not an admin
