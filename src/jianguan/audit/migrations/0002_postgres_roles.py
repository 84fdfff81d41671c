"""PostgreSQL only (D-08, AU-07): the audit tables belong to a NOLOGIN owner role, and the role
`jianguan_app` may only SELECT and INSERT them. A deployment grants `jianguan_app` to the login
role the server uses; migrations run as a role that is a member of `jianguan_audit_owner`.
Roles are cluster-wide, so they are created only when missing (test databases come and go).
On SQLite nothing happens: there the keyed chain is the control.
"""

from django.db import migrations

OWNER = "jianguan_audit_owner"
APP = "jianguan_app"
TABLES = ("audit_entry", "audit_job_item")


def create_role(cursor, role):
    # Role names are the constants above, never input.
    sql = (
        "DO $$ BEGIN "  # noqa: S608
        f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role} NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
        "END $$"
    )
    cursor.execute(sql)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        create_role(cursor, OWNER)
        create_role(cursor, APP)
        cursor.execute(
            "SELECT rolsuper OR pg_has_role(current_user, %s, 'MEMBER') "
            "FROM pg_roles WHERE rolname = current_user",
            [OWNER],
        )
        if not cursor.fetchone()[0]:
            # Needed to hand the tables to the owner role and to alter them in later migrations.
            cursor.execute(f"GRANT {OWNER} TO CURRENT_USER")
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        # A new owner needs CREATE on the schema (superusers skip that check).
        cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {OWNER}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {APP}")
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} OWNER TO {OWNER}")
            cursor.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
            cursor.execute(f"REVOKE ALL ON {table} FROM {APP}")
            cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {APP}")
        cursor.execute("SELECT pg_get_serial_sequence('audit_job_item', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {APP}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
