"""The first tables: instances, schedules, scheduled operations, API keys.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("source", LongText, nullable=False),
        sa.Column("n_jobs", sa.Integer, nullable=False),
        sa.Column("n_machines", sa.Integer, nullable=False),
        sa.Column("n_operations", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("instances.id"), nullable=False,
                  index=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("schedules.id"), nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("makespan", sa.BigInteger, nullable=False),
        sa.Column("lower_bound", sa.BigInteger, nullable=False),
        sa.Column("wall_seconds", sa.Double, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "scheduled_operations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("schedule_id", sa.Integer, sa.ForeignKey("schedules.id"), nullable=False,
                  index=True),
        sa.Column("job", sa.Integer, nullable=False),
        sa.Column("operation", sa.Integer, nullable=False),
        sa.Column("machine", sa.String(200), nullable=False),
        sa.Column("start", sa.BigInteger, nullable=False),
        sa.Column("end", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    for table in ("api_keys", "scheduled_operations", "schedules", "instances"):
        op.drop_table(table)
