"""What a department's script does with a client generated from /openapi.json, unedited:
download an import template, import it (checked, then applied), upload a scan and download it
back byte for byte. Run by .ci/python-client; any surprise raises."""

import io
import sys

from ocop_registry_client import AuthenticatedClient
from ocop_registry_client.api.documents import get_document, upload_document
from ocop_registry_client.api.imports import import_, template
from ocop_registry_client.api.subjects import list_subjects
from ocop_registry_client.models import (
    DocumentUploadForm,
    DocumentView,
    Format,
    ImportKind,
    ImportSummary,
)
from ocop_registry_client.types import File

base, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

workbook = template.sync(client=client, kind=ImportKind.SUBJECTS, format_=Format.XLSX)
assert isinstance(workbook, File), workbook
data = workbook.payload.read()
assert data.startswith(b"PK\x03\x04"), data[:20]

for dry_run in (True, False):
    summary = import_.sync(
        client=client,
        kind=ImportKind.SUBJECTS,
        dry_run=dry_run,
        body=File(payload=io.BytesIO(data), file_name="mau.xlsx"),
    )
    assert isinstance(summary, ImportSummary), summary
    assert summary.applied == (not dry_run), summary
    assert summary.rows == 1 and summary.created == 1 and summary.errors == [], summary
    print(f"import dry_run={dry_run}: {summary.to_dict()}")

subject = list_subjects.sync(client=client).items[0]
scan = b"%PDF-1.4\n% a scanned contract\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
stored = upload_document.sync(
    client=client,
    body=DocumentUploadForm(
        file=File(payload=io.BytesIO(scan), file_name="hop-dong.pdf", mime_type="application/pdf"),
        subject_id=subject.id,
    ),
)
assert isinstance(stored, DocumentView), stored
back = get_document.sync(client=client, id=stored.id)
assert isinstance(back, File), back
assert back.payload.read() == scan
print(f"document {stored.id}: {len(scan)} bytes up and back")
