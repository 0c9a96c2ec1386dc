"""Static files as production serves them: hashed names, compressed, cached for a year."""

import gzip

from django.core.management import call_command
from django.test import Client


def test_static_files_are_compressed_and_cached_far_ahead(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    url = staticfiles_storage.url("css/portal.css")
    client = Client()  # a new handler: WhiteNoise reads the collected files now

    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert url.startswith("/static/css/portal.")
    assert url != "/static/css/portal.css"  # the name carries the content's hash
    assert plain.status_code == packed.status_code == 200
    assert "max-age=315360000" in plain["Cache-Control"]
    assert "immutable" in plain["Cache-Control"]
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(packed.streaming_content)) == b"".join(plain.streaming_content)
