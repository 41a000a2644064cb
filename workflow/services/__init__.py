"""The use cases: the engine (start, act, reassign), task read models, performance data, rekap,
reminders, schedule, org, documents, imports.
"""
