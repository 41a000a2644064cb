"""Pure rules and values: roles, periods, waktu, the working calendar, numbers, capaian, scales,
indicators, text limits. No database, no I/O.
"""
