"""summaries: short-term HRV (SDNN, RMSSD, pNN50 over the last 5 minutes of beats)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("summaries") as batch:
        batch.add_column(sa.Column("sdnn_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rmssd_ms", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pnn50_pct", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("summaries") as batch:
        batch.drop_column("pnn50_pct")
        batch.drop_column("rmssd_ms")
        batch.drop_column("sdnn_ms")
