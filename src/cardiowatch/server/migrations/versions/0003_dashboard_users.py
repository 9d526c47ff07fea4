"""dashboard users, sessions and signing key in the migrations; devices.token_hash indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 10:30:00

Databases made before this revision may hold the three dashboard tables already (the dashboard created
them itself): those are left as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "dashboard_users" not in existing:
        op.create_table(
            "dashboard_users",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("password_hash", sa.String(length=255), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
            sa.UniqueConstraint("name", name=op.f("uq_dashboard_users_name")),
        )
    if "dashboard_sessions" not in existing:
        op.create_table(
            "dashboard_sessions",
            sa.Column("token_sha256", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("csrf_token", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["user_id"], ["dashboard_users.id"],
                                    name=op.f("fk_dashboard_sessions_user_id_dashboard_users"), ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_dashboard_sessions")),
        )
    if "dashboard_secrets" not in existing:
        op.create_table(
            "dashboard_secrets",
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("value", sa.String(length=255), nullable=False),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_dashboard_secrets")),
        )
    with op.batch_alter_table("devices") as batch:
        batch.create_index(op.f("ix_devices_token_hash"), ["token_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_index(op.f("ix_devices_token_hash"))
    op.drop_table("dashboard_secrets")
    op.drop_table("dashboard_sessions")
    op.drop_table("dashboard_users")
