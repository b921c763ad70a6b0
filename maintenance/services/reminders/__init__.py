"""The reminder outbox: materialise due reminders, claim them, render and dispatch them."""

# materialise_due(now)        due TaskSchedules of reachable owners → Reminder + ReminderItem rows
# dispatch_once(now)          claim batches, render, send over one connection per channel, mark
