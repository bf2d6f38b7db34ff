"""rules, activities and tickets

Revision ID: 0003
Revises: 0002

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "item_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "target_id", "tag"),
    )
    with op.batch_alter_table("item_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "rule_marks",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "rule_firings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("trigger_key", sa.String(length=400), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "trigger_key"),
    )
    with op.batch_alter_table("rule_firings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_firings_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rule_firings_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rule_firings_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rule_firings_rule_id"), ["rule_id"], unique=False
        )
        batch_op.create_index(
            "ix_rule_firings_sender_fired", ["sender", "fired_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rule_firings_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "rule_waits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "message_id"),
    )
    with op.batch_alter_table("rule_waits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_waits_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            "ix_rule_waits_state_due", ["state", "due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rule_waits_thread_id"), ["thread_id"], unique=False
        )

    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("firing_id", sa.Integer(), nullable=True),
        sa.Column("closes_on_reply", sa.Boolean(), nullable=False),
        sa.Column("snoozes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["firing_id"], ["rule_firings.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_assignee"), ["assignee"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_activities_status_due", ["status", "due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_thread_id"), ["thread_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("firing_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["firing_id"], ["rule_firings.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_user"), ["user"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("requester", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("firing_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["firing_id"], ["rule_firings.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
        ),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tickets_assignee"), ["assignee"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tickets_thread_id"), ["thread_id"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("old", sa.String(length=100), nullable=True),
        sa.Column("new", sa.String(length=100), nullable=True),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("evaluated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_events_evaluated"), ["evaluated"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_events_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "ticket_messages",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("joined_by", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_messages_ticket_id"))

    op.drop_table("ticket_messages")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_events_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_events_evaluated"))

    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_thread_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_contact_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_company_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_assignee"))

    op.drop_table("tickets")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user"))

    op.drop_table("notifications")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_activities_thread_id"))
        batch_op.drop_index("ix_activities_status_due")
        batch_op.drop_index(batch_op.f("ix_activities_contact_id"))
        batch_op.drop_index(batch_op.f("ix_activities_company_id"))
        batch_op.drop_index(batch_op.f("ix_activities_assignee"))

    op.drop_table("activities")
    with op.batch_alter_table("rule_waits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_waits_thread_id"))
        batch_op.drop_index("ix_rule_waits_state_due")
        batch_op.drop_index(batch_op.f("ix_rule_waits_message_id"))

    op.drop_table("rule_waits")
    with op.batch_alter_table("rule_firings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_firings_ticket_id"))
        batch_op.drop_index("ix_rule_firings_sender_fired")
        batch_op.drop_index(batch_op.f("ix_rule_firings_rule_id"))
        batch_op.drop_index(batch_op.f("ix_rule_firings_message_id"))
        batch_op.drop_index(batch_op.f("ix_rule_firings_contact_id"))
        batch_op.drop_index(batch_op.f("ix_rule_firings_company_id"))

    op.drop_table("rule_firings")
    op.drop_table("rule_marks")
    with op.batch_alter_table("item_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_tags_tag"))

    op.drop_table("item_tags")
