"""Leases. Unlike the other query modules these commit themselves: a lease must be
visible to other workers the moment it is taken, whatever the caller does next.

Keyword-only functions, the Session first.
"""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import (
    Lease,
)

# --- leases ------------------------------------------------------------------------------


def acquire_lease(
    session: Session, *, name: str, holder: str, now: datetime, expires_at: datetime
) -> bool:
    """Take or renew a lease; True when `holder` has it. Commits (a lease must be visible)."""
    taken = session.execute(
        update(Lease)
        .where(
            Lease.name == name,
            (Lease.holder == holder) | (col(Lease.expires_at) < now),
        )
        .values(holder=holder, expires_at=expires_at)
    )
    if taken.rowcount == 1:
        session.commit()
        return True
    try:
        session.add(Lease(name=name, holder=holder, expires_at=expires_at))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def release_lease(session: Session, *, name: str, holder: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
    session.commit()


def lease_holder(session: Session, *, name: str, now: datetime) -> Lease | None:
    lease = session.get(Lease, name)
    if lease is None or lease.expires_at < now:
        return None
    return lease


def take_over_lease(
    session: Session, *, name: str, dead_holder: str, holder: str, expires_at: datetime
) -> bool:
    """Take a lease from a holder known to be dead; False if someone else got there first."""
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == dead_holder)
        .values(holder=holder, expires_at=expires_at)
    )
    session.commit()
    return taken.rowcount == 1
