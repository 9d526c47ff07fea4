"""status_reports: the device's own alarm level and VF state

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_reports") as batch:
        batch.add_column(sa.Column("alarm_level", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("in_vf", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_reports") as batch:
        batch.drop_column("in_vf")
        batch.drop_column("alarm_level")
