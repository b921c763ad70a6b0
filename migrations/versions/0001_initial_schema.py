"""Initial schema: organisations and staff, product models, protocols and their versions, units,
owners, schedules and the maintenance log, the reminder outbox, scan events.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 11:29:39.715218

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('owner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_suppressed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('phone_suppressed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('preferred_hour', sa.Integer(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('calendar_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner')),
    sa.UniqueConstraint('calendar_token', name=op.f('uq_owner_calendar_token')),
    sa.UniqueConstraint('email', name=op.f('uq_owner_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_owner_phone'))
    )
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_consent_owner_id_owner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_owner_id'), ['owner_id'], unique=False)

    op.create_table('protocol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_protocol_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol')),
    sa.UniqueConstraint('organisation_id', 'category', 'scope', name=op.f('uq_protocol_organisation_id_category_scope'))
    )
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('send_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=True),
    sa.Column('provider_id', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_reminder_owner_id_owner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_reminder_dedupe_key'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_claim', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_provider_id'), ['provider_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_user_account_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('delivery_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminder.id'], name=op.f('fk_delivery_event_reminder_id_reminder'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_event'))
    )
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_event_reminder_id'), ['reminder_id'], unique=False)

    op.create_table('product_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_product_model_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], name=op.f('fk_product_model_protocol_id_protocol')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_model'))
    )
    with op.batch_alter_table('product_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_model_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_model_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_model_protocol_id'), ['protocol_id'], unique=False)

    op.create_table('protocol_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], name=op.f('fk_protocol_version_protocol_id_protocol')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_protocol_version_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_version')),
    sa.UniqueConstraint('protocol_id', 'number', name=op.f('uq_protocol_version_protocol_id_number'))
    )
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_version_protocol_id'), ['protocol_id'], unique=False)

    op.create_table('model_gtin',
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('product_model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_model_id'], ['product_model.id'], name=op.f('fk_model_gtin_product_model_id_product_model')),
    sa.PrimaryKeyConstraint('gtin', name=op.f('pk_model_gtin'))
    )
    with op.batch_alter_table('model_gtin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_gtin_product_model_id'), ['product_model_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('every', sa.String(length=40), nullable=True),
    sa.Column('rrule', sa.String(length=200), nullable=True),
    sa.Column('first_due', sa.String(length=40), nullable=True),
    sa.Column('difficulty', sa.String(length=20), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['protocol_version.id'], name=op.f('fk_task_version_id_protocol_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_task_version_id_key'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_version_id'), ['version_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=True),
    sa.Column('unit_code', sa.String(length=20), nullable=True),
    sa.Column('product_model_id', sa.Integer(), nullable=False),
    sa.Column('retailer_id', sa.Integer(), nullable=True),
    sa.Column('sold_on', sa.Date(), nullable=True),
    sa.Column('retailer_ref', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('labels_printed', sa.Integer(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_unit_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['product_model_id'], ['product_model.id'], name=op.f('fk_unit_product_model_id_product_model')),
    sa.ForeignKeyConstraint(['retailer_id'], ['organisation.id'], name=op.f('fk_unit_retailer_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('gtin', 'serial', name=op.f('uq_unit_gtin_serial')),
    sa.UniqueConstraint('gtin', 'unit_code', name=op.f('uq_unit_gtin_unit_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_product_model_id'), ['product_model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_retailer_id'), ['retailer_id'], unique=False)

    op.create_table('maintenance_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('task_key', sa.String(length=80), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_maintenance_log_owner_id_owner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminder.id'], name=op.f('fk_maintenance_log_reminder_id_reminder'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_maintenance_log_unit_id_unit')),
    sa.ForeignKeyConstraint(['version_id'], ['protocol_version.id'], name=op.f('fk_maintenance_log_version_id_protocol_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_log'))
    )
    with op.batch_alter_table('maintenance_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maintenance_log_unit_id'), ['unit_id'], unique=False)

    op.create_table('ownership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_ownership_owner_id_owner'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ownership_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership'))
    )
    with op.batch_alter_table('ownership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_unit_id'), ['unit_id'], unique=False)

    op.create_table('scan_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('product_model_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_model_id'], ['product_model.id'], name=op.f('fk_scan_event_product_model_id_product_model')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_scan_event_unit_id_unit'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_event'))
    )
    with op.batch_alter_table('scan_event', schema=None) as batch_op:
        batch_op.create_index('ix_scan_event_model_day', ['product_model_id', 'day'], unique=False)

    op.create_table('task_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('task_key', sa.String(length=80), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('last_done_on', sa.Date(), nullable=True),
    sa.Column('next_due', sa.Date(), nullable=False),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.Column('follow_up_sent_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_task_schedule_unit_id_unit')),
    sa.ForeignKeyConstraint(['version_id'], ['protocol_version.id'], name=op.f('fk_task_schedule_version_id_protocol_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_schedule')),
    sa.UniqueConstraint('unit_id', 'task_key', name=op.f('uq_task_schedule_unit_id_task_key'))
    )
    with op.batch_alter_table('task_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_schedule_next_due'), ['next_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_schedule_unit_id'), ['unit_id'], unique=False)

    op.create_table('reminder_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminder.id'], name=op.f('fk_reminder_item_reminder_id_reminder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['task_schedule.id'], name=op.f('fk_reminder_item_schedule_id_task_schedule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_item'))
    )
    with op.batch_alter_table('reminder_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_item_reminder_id'), ['reminder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_item_schedule_id'), ['schedule_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reminder_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_item_schedule_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_item_reminder_id'))

    op.drop_table('reminder_item')
    with op.batch_alter_table('task_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_schedule_unit_id'))
        batch_op.drop_index(batch_op.f('ix_task_schedule_next_due'))

    op.drop_table('task_schedule')
    with op.batch_alter_table('scan_event', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_event_model_day')

    op.drop_table('scan_event')
    with op.batch_alter_table('ownership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownership_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ownership_owner_id'))

    op.drop_table('ownership')
    with op.batch_alter_table('maintenance_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maintenance_log_unit_id'))

    op.drop_table('maintenance_log')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_retailer_id'))
        batch_op.drop_index(batch_op.f('ix_unit_product_model_id'))

    op.drop_table('unit')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_version_id'))

    op.drop_table('task')
    with op.batch_alter_table('model_gtin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_gtin_product_model_id'))

    op.drop_table('model_gtin')
    with op.batch_alter_table('protocol_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_version_protocol_id'))

    op.drop_table('protocol_version')
    with op.batch_alter_table('product_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_model_protocol_id'))
        batch_op.drop_index(batch_op.f('ix_product_model_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_product_model_category'))

    op.drop_table('product_model')
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_event_reminder_id'))

    op.drop_table('delivery_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_organisation_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_provider_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_owner_id'))
        batch_op.drop_index('ix_reminder_claim')

    op.drop_table('reminder')
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_organisation_id'))

    op.drop_table('protocol')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_owner_id'))

    op.drop_table('consent')
    op.drop_table('owner')
    op.drop_table('organisation')
