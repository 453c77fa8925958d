"""Reporting periods and the read model: withdrawals of pending reports, proposed schedule
and budget on reports, year-end review year on tracking decisions, tracking start and
confirmed departments on items, filed summaries and reopened years, the item_period
projection with its roll-ups, and an index on every foreign key that had none.

Reviewed by hand. New columns come last in their tables (as the models declare them) so a
migrated schema equals create_all(). On SQLite, action_item and status_update are rebuilt
(batch recreate) to add their foreign key and CHECK constraints; env.py switches foreign
key enforcement off for the rebuild, and status_update's append-only triggers, which the
rebuild drops with the old table, are created again. The new history tables
(update_withdrawal, summary_filing, year_reopening) get the same triggers. The projection
tables start empty: the app builds them from the history on first use (or
`flask projections rebuild`).

Revision ID: p10a
Revises: h12a
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

from tracker.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "p10a"
down_revision = "h12a"
branch_labels = None
depends_on = None

NEW_APPEND_ONLY = ("update_withdrawal", "summary_filing", "year_reopening")


def _create_triggers(tables):
    dialect = op.get_bind().dialect.name
    for table in tables:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION tracker_append_only()"
            )
        elif dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END"
            )


def _drop_triggers(tables):
    dialect = op.get_bind().dialect.name
    for table in tables:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_delete")


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    op.create_table("projection_state",
    sa.Column("key", sa.String(length=40), nullable=False),
    sa.Column("periods_through", sa.Date(), nullable=True),
    sa.Column("period_setting", sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint("key", name=op.f("pk_projection_state"))
    )
    op.create_table("rollup_department",
    sa.Column("period_end", sa.Date(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=False),
    sa.Column("department_id", sa.Integer(), nullable=False),
    sa.Column("n_items", sa.Integer(), nullable=False),
    sa.Column("n_not_started", sa.Integer(), nullable=False),
    sa.Column("n_planning", sa.Integer(), nullable=False),
    sa.Column("n_in_progress", sa.Integer(), nullable=False),
    sa.Column("n_ongoing", sa.Integer(), nullable=False),
    sa.Column("n_completed", sa.Integer(), nullable=False),
    sa.Column("n_on_hold", sa.Integer(), nullable=False),
    sa.Column("n_not_feasible", sa.Integer(), nullable=False),
    sa.Column("n_pending", sa.Integer(), nullable=False),
    sa.Column("n_released", sa.Integer(), nullable=False),
    sa.Column("n_must_report", sa.Integer(), nullable=False),
    sa.Column("n_reported", sa.Integer(), nullable=False),
    sa.Column("n_on_time", sa.Integer(), nullable=False),
    sa.Column("n_late", sa.Integer(), nullable=False),
    sa.Column("n_approved", sa.Integer(), nullable=False),
    sa.Column("n_returned", sa.Integer(), nullable=False),
    sa.Column("n_overdue", sa.Integer(), nullable=False),
    sa.Column("n_due_soon", sa.Integer(), nullable=False),
    sa.Column("n_stale", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_rollup_department_department_id_department")),
    sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_rollup_department_report_id_report"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("period_end", "report_id", "department_id", name=op.f("pk_rollup_department"))
    )
    with op.batch_alter_table("rollup_department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollup_department_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rollup_department_report_id"), ["report_id"], unique=False)

    op.create_table("rollup_city_department",
    sa.Column("period_end", sa.Date(), nullable=False),
    sa.Column("department_id", sa.Integer(), nullable=False),
    sa.Column("n_items", sa.Integer(), nullable=False),
    sa.Column("n_not_started", sa.Integer(), nullable=False),
    sa.Column("n_planning", sa.Integer(), nullable=False),
    sa.Column("n_in_progress", sa.Integer(), nullable=False),
    sa.Column("n_ongoing", sa.Integer(), nullable=False),
    sa.Column("n_completed", sa.Integer(), nullable=False),
    sa.Column("n_on_hold", sa.Integer(), nullable=False),
    sa.Column("n_not_feasible", sa.Integer(), nullable=False),
    sa.Column("n_pending", sa.Integer(), nullable=False),
    sa.Column("n_released", sa.Integer(), nullable=False),
    sa.Column("n_must_report", sa.Integer(), nullable=False),
    sa.Column("n_reported", sa.Integer(), nullable=False),
    sa.Column("n_on_time", sa.Integer(), nullable=False),
    sa.Column("n_late", sa.Integer(), nullable=False),
    sa.Column("n_approved", sa.Integer(), nullable=False),
    sa.Column("n_returned", sa.Integer(), nullable=False),
    sa.Column("n_overdue", sa.Integer(), nullable=False),
    sa.Column("n_due_soon", sa.Integer(), nullable=False),
    sa.Column("n_stale", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_rollup_city_department_department_id_department")),
    sa.PrimaryKeyConstraint("period_end", "department_id", name=op.f("pk_rollup_city_department"))
    )
    with op.batch_alter_table("rollup_city_department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollup_city_department_department_id"), ["department_id"], unique=False)

    op.create_table("rollup_recommendation",
    sa.Column("period_end", sa.Date(), nullable=False),
    sa.Column("recommendation_id", sa.Integer(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=False),
    sa.Column("weighted_progress", sa.Numeric(precision=20, scale=3), nullable=False),
    sa.Column("weight_total", sa.Numeric(precision=20, scale=3), nullable=False),
    sa.Column("n_items", sa.Integer(), nullable=False),
    sa.Column("n_not_started", sa.Integer(), nullable=False),
    sa.Column("n_planning", sa.Integer(), nullable=False),
    sa.Column("n_in_progress", sa.Integer(), nullable=False),
    sa.Column("n_ongoing", sa.Integer(), nullable=False),
    sa.Column("n_completed", sa.Integer(), nullable=False),
    sa.Column("n_on_hold", sa.Integer(), nullable=False),
    sa.Column("n_not_feasible", sa.Integer(), nullable=False),
    sa.Column("n_pending", sa.Integer(), nullable=False),
    sa.Column("n_released", sa.Integer(), nullable=False),
    sa.Column("n_must_report", sa.Integer(), nullable=False),
    sa.Column("n_reported", sa.Integer(), nullable=False),
    sa.Column("n_on_time", sa.Integer(), nullable=False),
    sa.Column("n_late", sa.Integer(), nullable=False),
    sa.Column("n_approved", sa.Integer(), nullable=False),
    sa.Column("n_returned", sa.Integer(), nullable=False),
    sa.Column("n_overdue", sa.Integer(), nullable=False),
    sa.Column("n_due_soon", sa.Integer(), nullable=False),
    sa.Column("n_stale", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["recommendation_id"], ["recommendation.id"], name=op.f("fk_rollup_recommendation_recommendation_id_recommendation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_rollup_recommendation_report_id_report"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("period_end", "recommendation_id", name=op.f("pk_rollup_recommendation"))
    )
    with op.batch_alter_table("rollup_recommendation", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_recommendation_period_report", ["period_end", "report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rollup_recommendation_recommendation_id"), ["recommendation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rollup_recommendation_report_id"), ["report_id"], unique=False)

    op.create_table("summary_filing",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=True),
    sa.Column("format", sa.String(length=8), nullable=False),
    sa.Column("lang", sa.String(length=8), nullable=False),
    sa.Column("filename", sa.String(length=255), nullable=False),
    sa.Column("mimetype", sa.String(length=120), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("known_at", sa.Date(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=True),
    sa.Column("changes", sa.Text(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("filed_by_id", sa.Integer(), nullable=True),
    sa.Column("filed_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("size >= 0", name=op.f("ck_summary_filing_size_non_negative")),
    sa.CheckConstraint("year >= 1912", name=op.f("ck_summary_filing_year_roc")),
    sa.ForeignKeyConstraint(["filed_by_id"], ["user_account.id"], name=op.f("fk_summary_filing_filed_by_id_user_account")),
    sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_summary_filing_report_id_report")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_filing"))
    )
    with op.batch_alter_table("summary_filing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summary_filing_filed_by_id"), ["filed_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_summary_filing_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_summary_filing_year_report", ["year", "report_id"], unique=False)

    op.create_table("year_reopening",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("reopened_by_id", sa.Integer(), nullable=True),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("length(reason) > 0", name=op.f("ck_year_reopening_reason_required")),
    sa.ForeignKeyConstraint(["reopened_by_id"], ["user_account.id"], name=op.f("fk_year_reopening_reopened_by_id_user_account")),
    sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_year_reopening_report_id_report")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_year_reopening"))
    )
    with op.batch_alter_table("year_reopening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_year_reopening_reopened_by_id"), ["reopened_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_year_reopening_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_year_reopening_year_report", ["year", "report_id"], unique=False)

    op.create_table("item_period",
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("period_end", sa.Date(), nullable=False),
    sa.Column("period_start", sa.Date(), nullable=False),
    sa.Column("report_id", sa.Integer(), nullable=False),
    sa.Column("recommendation_id", sa.Integer(), nullable=False),
    sa.Column("lead_department_id", sa.Integer(), nullable=False),
    sa.Column("weight", sa.Numeric(precision=8, scale=3), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("status", sa.Enum("not_started", "planning", "in_progress", "ongoing", "completed", "on_hold", "not_feasible", name="period_status", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("progress", sa.Integer(), nullable=False),
    sa.Column("official_update_id", sa.Integer(), nullable=True),
    sa.Column("official_effective_date", sa.Date(), nullable=True),
    sa.Column("official_approved_on", sa.Date(), nullable=True),
    sa.Column("pending_update_id", sa.Integer(), nullable=True),
    sa.Column("pending_status", sa.Enum("not_started", "planning", "in_progress", "ongoing", "completed", "on_hold", "not_feasible", name="pending_status", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("pending_progress", sa.Integer(), nullable=True),
    sa.Column("pending_effective_date", sa.Date(), nullable=True),
    sa.Column("returned_update_id", sa.Integer(), nullable=True),
    sa.Column("decision", sa.Enum("continue", "release", "self_track", name="period_decision", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("decision_id", sa.Integer(), nullable=True),
    sa.Column("released", sa.Boolean(), nullable=False),
    sa.Column("must_report", sa.Boolean(), nullable=False),
    sa.Column("period_update_id", sa.Integer(), nullable=True),
    sa.Column("review", sa.Enum("pending", "approved", "returned", name="period_review", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("first_submitted_on", sa.Date(), nullable=True),
    sa.Column("timeliness", sa.Enum("on_time", "late", name="timeliness", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("overdue", sa.Boolean(), nullable=False),
    sa.Column("due_soon", sa.Boolean(), nullable=False),
    sa.Column("stale", sa.Boolean(), nullable=False),
    sa.Column("open_due_date", sa.Date(), nullable=True),
    sa.Column("open_reported_through", sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(["decision_id"], ["tracking_decision.id"], name=op.f("fk_item_period_decision_id_tracking_decision")),
    sa.ForeignKeyConstraint(["item_id"], ["action_item.id"], name=op.f("fk_item_period_item_id_action_item"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["lead_department_id"], ["department.id"], name=op.f("fk_item_period_lead_department_id_department")),
    sa.ForeignKeyConstraint(["official_update_id"], ["status_update.id"], name=op.f("fk_item_period_official_update_id_status_update")),
    sa.ForeignKeyConstraint(["pending_update_id"], ["status_update.id"], name=op.f("fk_item_period_pending_update_id_status_update")),
    sa.ForeignKeyConstraint(["period_update_id"], ["status_update.id"], name=op.f("fk_item_period_period_update_id_status_update")),
    sa.ForeignKeyConstraint(["recommendation_id"], ["recommendation.id"], name=op.f("fk_item_period_recommendation_id_recommendation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_item_period_report_id_report"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["returned_update_id"], ["status_update.id"], name=op.f("fk_item_period_returned_update_id_status_update")),
    sa.PrimaryKeyConstraint("item_id", "period_end", name=op.f("pk_item_period"))
    )
    with op.batch_alter_table("item_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_period_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_lead_department_id"), ["lead_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_official_update_id"), ["official_update_id"], unique=False)
        batch_op.create_index("ix_item_period_period_dept", ["period_end", "lead_department_id"], unique=False)
        batch_op.create_index("ix_item_period_period_due", ["period_end", "open_due_date"], unique=False)
        batch_op.create_index("ix_item_period_period_pending", ["period_end", "pending_update_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_pending_update_id"), ["pending_update_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_returned_update_id"), ["returned_update_id"], unique=False)
        batch_op.create_index("ix_item_period_period_rec", ["period_end", "recommendation_id"], unique=False)
        batch_op.create_index("ix_item_period_period_report", ["period_end", "report_id"], unique=False)
        batch_op.create_index("ix_item_period_period_reported", ["period_end", "open_reported_through"], unique=False)
        batch_op.create_index("ix_item_period_period_returned", ["period_end", "returned_update_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_period_update_id"), ["period_update_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_recommendation_id"), ["recommendation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_period_report_id"), ["report_id"], unique=False)

    op.create_table("update_withdrawal",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("update_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.Enum("withdrawn", "replaced", name="withdrawal_kind", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("replaced_by_id", sa.Integer(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind <> 'replaced' OR replaced_by_id IS NOT NULL", name=op.f("ck_update_withdrawal_replaced_has_replacement")),
    sa.ForeignKeyConstraint(["replaced_by_id"], ["status_update.id"], name=op.f("fk_update_withdrawal_replaced_by_id_status_update")),
    sa.ForeignKeyConstraint(["update_id"], ["status_update.id"], name=op.f("fk_update_withdrawal_update_id_status_update")),
    sa.ForeignKeyConstraint(["withdrawn_by_id"], ["user_account.id"], name=op.f("fk_update_withdrawal_withdrawn_by_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_update_withdrawal")),
    sa.UniqueConstraint("update_id", name=op.f("uq_update_withdrawal_update_id"))
    )
    with op.batch_alter_table("update_withdrawal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_update_withdrawal_replaced_by_id"), ["replaced_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_update_withdrawal_withdrawn_by_id"), ["withdrawn_by_id"], unique=False)

    with op.batch_alter_table("action_item", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.add_column(sa.Column("tracking_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("departments_confirmed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("departments_confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_action_item_departments_confirmed_by_id"), ["departments_confirmed_by_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_action_item_departments_confirmed_by_id_user_account"), "user_account", ["departments_confirmed_by_id"], ["id"])

    with op.batch_alter_table("adoption_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adoption_decision_recorded_by_id"), ["recorded_by_id"], unique=False)

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_uploaded_by_id"), ["uploaded_by_id"], unique=False)

    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_data_department_id"), ["data_department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_indicator_practice_id"), ["practice_id"], unique=False)

    with op.batch_alter_table("item_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_note_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_note_corrects_id"), ["corrects_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_note_department_id"), ["department_id"], unique=False)

    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measurement_corrects_id"), ["corrects_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measurement_recorded_by_id"), ["recorded_by_id"], unique=False)

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_reviewer_id"), ["reviewer_id"], unique=False)

    if _sqlite():
        _drop_triggers(["status_update"])
    with op.batch_alter_table("status_update", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.add_column(sa.Column("proposed_start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("proposed_due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("proposed_budget_amount", sa.Numeric(precision=16, scale=0), nullable=True))
        batch_op.add_column(sa.Column("proposed_budget_source", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("proposed_budget_note", sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f("ix_status_update_corrects_id"), ["corrects_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_update_submitted_by_id"), ["submitted_by_id"], unique=False)
        batch_op.create_index("ix_status_update_effective_date", ["effective_date"], unique=False)
        batch_op.create_check_constraint(
            "proposed_schedule_ordered",
            "proposed_due_date IS NULL OR proposed_start_date IS NULL OR proposed_due_date >= proposed_start_date")
        batch_op.create_check_constraint(
            "proposed_budget_non_negative", "proposed_budget_amount IS NULL OR proposed_budget_amount >= 0")
        batch_op.create_check_constraint(
            "proposed_budget_source", "proposed_budget_source IN ('city', 'central', 'other')")
    if _sqlite():
        _create_triggers(["status_update"])

    with op.batch_alter_table("tracking_decision", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("review_year", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tracking_decision_decided_by_id"), ["decided_by_id"], unique=False)
        batch_op.create_index("ix_tracking_decision_review_year", ["review_year", "action_item_id"], unique=False)
        batch_op.create_index("ix_tracking_decision_effective_date", ["effective_date"], unique=False)

    _create_triggers(NEW_APPEND_ONLY)


def downgrade():
    _drop_triggers(NEW_APPEND_ONLY)
    with op.batch_alter_table("tracking_decision", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_tracking_decision_effective_date")
        batch_op.drop_index("ix_tracking_decision_review_year")
        batch_op.drop_index(batch_op.f("ix_tracking_decision_decided_by_id"))
        batch_op.drop_column("review_year")

    if _sqlite():
        _drop_triggers(["status_update"])
    with op.batch_alter_table("status_update", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.drop_constraint("proposed_budget_source", type_="check")
        batch_op.drop_constraint("proposed_budget_non_negative", type_="check")
        batch_op.drop_constraint("proposed_schedule_ordered", type_="check")
        batch_op.drop_index("ix_status_update_effective_date")
        batch_op.drop_index(batch_op.f("ix_status_update_submitted_by_id"))
        batch_op.drop_index(batch_op.f("ix_status_update_corrects_id"))
        batch_op.drop_column("proposed_budget_note")
        batch_op.drop_column("proposed_budget_source")
        batch_op.drop_column("proposed_budget_amount")
        batch_op.drop_column("proposed_due_date")
        batch_op.drop_column("proposed_start_date")
    if _sqlite():
        _create_triggers(["status_update"])

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reviewer_id"))

    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_measurement_corrects_id"))

    with op.batch_alter_table("item_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_note_department_id"))
        batch_op.drop_index(batch_op.f("ix_item_note_corrects_id"))
        batch_op.drop_index(batch_op.f("ix_item_note_author_id"))

    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_practice_id"))
        batch_op.drop_index(batch_op.f("ix_indicator_data_department_id"))

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_uploaded_by_id"))

    with op.batch_alter_table("adoption_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adoption_decision_recorded_by_id"))

    with op.batch_alter_table("action_item", schema=None, recreate="always" if _sqlite() else "auto") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_action_item_departments_confirmed_by_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_item_departments_confirmed_by_id"))
        batch_op.drop_column("departments_confirmed_by_id")
        batch_op.drop_column("departments_confirmed_at")
        batch_op.drop_column("tracking_start")

    with op.batch_alter_table("update_withdrawal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_update_withdrawal_withdrawn_by_id"))
        batch_op.drop_index(batch_op.f("ix_update_withdrawal_replaced_by_id"))

    op.drop_table("update_withdrawal")
    with op.batch_alter_table("item_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_period_report_id"))
        batch_op.drop_index(batch_op.f("ix_item_period_recommendation_id"))
        batch_op.drop_index(batch_op.f("ix_item_period_period_update_id"))
        batch_op.drop_index("ix_item_period_period_returned")
        batch_op.drop_index(batch_op.f("ix_item_period_returned_update_id"))
        batch_op.drop_index(batch_op.f("ix_item_period_pending_update_id"))
        batch_op.drop_index("ix_item_period_period_reported")
        batch_op.drop_index("ix_item_period_period_report")
        batch_op.drop_index("ix_item_period_period_rec")
        batch_op.drop_index("ix_item_period_period_pending")
        batch_op.drop_index("ix_item_period_period_due")
        batch_op.drop_index("ix_item_period_period_dept")
        batch_op.drop_index(batch_op.f("ix_item_period_official_update_id"))
        batch_op.drop_index(batch_op.f("ix_item_period_lead_department_id"))
        batch_op.drop_index(batch_op.f("ix_item_period_decision_id"))

    op.drop_table("item_period")
    with op.batch_alter_table("year_reopening", schema=None) as batch_op:
        batch_op.drop_index("ix_year_reopening_year_report")
        batch_op.drop_index(batch_op.f("ix_year_reopening_report_id"))
        batch_op.drop_index(batch_op.f("ix_year_reopening_reopened_by_id"))

    op.drop_table("year_reopening")
    with op.batch_alter_table("summary_filing", schema=None) as batch_op:
        batch_op.drop_index("ix_summary_filing_year_report")
        batch_op.drop_index(batch_op.f("ix_summary_filing_report_id"))
        batch_op.drop_index(batch_op.f("ix_summary_filing_filed_by_id"))

    op.drop_table("summary_filing")
    with op.batch_alter_table("rollup_recommendation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollup_recommendation_report_id"))
        batch_op.drop_index(batch_op.f("ix_rollup_recommendation_recommendation_id"))
        batch_op.drop_index("ix_rollup_recommendation_period_report")

    op.drop_table("rollup_recommendation")
    with op.batch_alter_table("rollup_department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollup_department_report_id"))
        batch_op.drop_index(batch_op.f("ix_rollup_department_department_id"))

    op.drop_table("rollup_department")
    with op.batch_alter_table("rollup_city_department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollup_city_department_department_id"))

    op.drop_table("rollup_city_department")
    op.drop_table("projection_state")
