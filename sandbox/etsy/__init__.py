"""Etsy Open API v3 emulator: see `emulator.EtsySandbox`."""

from sandbox.etsy.emulator import Call, EtsySandbox
from sandbox.etsy.faults import Faults

__all__ = ["Call", "EtsySandbox", "Faults"]
