"""The agreements' weighted search document, stored and indexed (PostgreSQL only).

Migration 0002 indexed the document as an expression: PostgreSQL could find matches in
the index, but ranking them parsed every matching title, summary and body again
(20 ms at 2,000 agreements for a common word, growing with the matches). Now a trigger
keeps the document in a column on every insert and update, whatever writes the row
(pages, admin, bulk loads), and the GIN index is on the column. The trigger's
expression is `agreements.querysets.search_vector()` written in SQL;
test_stored_search_document_equals_the_search_vector checks that the two agree.
On other databases the column stays empty and the register searches by substrings.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION agreements_agreement_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.body, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER agreements_agreement_search_document
    BEFORE INSERT OR UPDATE ON agreements_agreement
    FOR EACH ROW EXECUTE FUNCTION agreements_agreement_search_document();

-- Fill the rows there are: the trigger computes the document on this update.
UPDATE agreements_agreement SET search_document = NULL;

DROP INDEX IF EXISTS agreement_search_gin;
CREATE INDEX agreement_search_document_gin ON agreements_agreement
    USING gin (search_document);
"""

REVERSE = """
DROP INDEX IF EXISTS agreement_search_document_gin;
DROP TRIGGER IF EXISTS agreements_agreement_search_document ON agreements_agreement;
DROP FUNCTION IF EXISTS agreements_agreement_search_document();
CREATE INDEX agreement_search_gin ON agreements_agreement USING gin ((
    setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C')
));
"""


def on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_search_index")]

    operations = [
        migrations.AddField(
            model_name="agreement",
            name="search_document",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(on_postgresql(FUNCTION), on_postgresql(REVERSE), elidable=False),
    ]
