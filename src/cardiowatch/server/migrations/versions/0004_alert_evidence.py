"""alerts: the evidence at onset (time, rhythm, heart rate, signal quality) and the end of its episode

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("onset_t_us", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("end_t_us", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("rhythm", sa.String(16), nullable=True))
        batch.add_column(sa.Column("hr_bpm", sa.Float(), nullable=True))
        batch.add_column(sa.Column("quality", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("quality")
        batch.drop_column("hr_bpm")
        batch.drop_column("rhythm")
        batch.drop_column("end_t_us")
        batch.drop_column("onset_t_us")
