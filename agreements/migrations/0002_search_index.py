"""A GIN index on the agreements' weighted search document, on PostgreSQL only.

The index is built on the very expression the search queries use
(`agreements.models.search_vector()`, copied here as it was), so PostgreSQL can answer
`document @@ query` from it. SQLite has no
full-text search of this kind (the register falls back to substring matching there),
so the operation does nothing on other databases and the model state does not know the
index (makemigrations stays quiet).
"""

from django.db import migrations

INDEX_NAME = "agreement_search_gin"


def _index():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    document = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    return GinIndex(document, name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("agreements", "Agreement"), _index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("agreements", "Agreement"), _index())


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
