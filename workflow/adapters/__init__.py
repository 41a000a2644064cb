"""What talks to the outside: the database (engine, models, migrations, repository), mail, the
evidence store, template rendering.
"""
