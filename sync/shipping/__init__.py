"""Shipping seller-shipped orders (SPEC §4.1): their facts, carriers, deadlines."""
