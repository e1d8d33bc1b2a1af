"""Import and export pages: a CSV or Excel file into an entity, and an entity's records out.

An import takes two steps, as a person checks a file before writing it: the upload shows the
file's columns with the field each one will fill (the automatic mapping, which they can
change) and a few rows; confirming runs `import_sheet` for the caller, all-or-nothing unless
they choose to skip bad rows, and reports every bad row. Between the steps the file waits in
a temporary folder named by a random token that the mapping form carries (and that only its
uploader may use); it is deleted once the import has run.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import time
from itertools import islice
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from commonground.admin.opened import entity_of, environment_of
from commonground.admin.record_list import shown
from commonground.admin.render import page
from commonground.admin.sessions import BASE, checked_form, checked_upload
from commonground.errors import DefinitionError, ForbiddenError, NotFoundError
from commonground.model.entity import Entity
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Operation
from commonground.service.columns import targets_of
from commonground.service.environment import Environment
from commonground.service.environments import Environments
from commonground.service.tabular import WORKBOOK_SUFFIXES, Sheet, open_sheet
from commonground.service.transfer import (
    ExportFormat,
    ImportRejectedError,
    ImportResult,
    export_entity,
    import_sheet,
)

UPLOADS = Path(tempfile.gettempdir()) / "commonground-imports"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
OWNER = "owner"
ABANDONED_HOURS = 24  # an upload never imported is deleted by a later upload after this
PREVIEW_ROWS = 5
# Problems with a mapping that the person can fix on the mapping page.
MAPPING_PROBLEMS = (DefinitionError, NotFoundError)


def targets(entity: Entity) -> list[str]:
    """What a column can fill: every writable field or compound part, by its report label."""
    return list(dict.fromkeys(t.label for t in targets_of(entity).values() if t is not None))


def automatic(entity: Entity, header: list[str]) -> list[str]:
    """The field each column fills when nobody maps it ("" for none): the one of its name."""
    accepted = targets_of(entity)
    out = []
    for column in header:
        target = accepted.get(column.lower()) if column else None
        out.append(target.label if target is not None else "")
    return out


def require_import(env: Environment, entity: Entity, caller: Caller) -> None:
    """An import creates or updates records: without either privilege there is no point in
    uploading a file (the service checks again for each batch)."""
    access = env.access(caller)
    if not access.allows(entity.name, Operation.CREATE) and not access.allows(
        entity.name, Operation.UPDATE
    ):
        raise ForbiddenError(str(Operation.CREATE), entity.name)


def keep_upload(content: bytes, suffix: str, caller: Caller) -> str:
    """Store an upload under a new token; the token names its folder. Uploads abandoned on
    the mapping page are deleted here, after a day."""
    if UPLOADS.is_dir():
        stale = time.time() - ABANDONED_HOURS * 3600
        for old in UPLOADS.iterdir():
            if old.stat().st_mtime < stale:
                shutil.rmtree(old, ignore_errors=True)
    token = secrets.token_urlsafe(24)
    folder = UPLOADS / token
    folder.mkdir(parents=True)
    (folder / f"upload{suffix}").write_bytes(content)
    (folder / OWNER).write_text(caller.name, encoding="utf-8")
    return token


def kept_upload(token: str, caller: Caller) -> Path:
    """The file stored under a token, for its uploader only."""
    folder = UPLOADS / token
    if not TOKEN.match(token) or not (folder / OWNER).is_file():
        raise DefinitionError(
            "the uploaded file is gone (it was imported already); upload it again"
        )
    if (folder / OWNER).read_text(encoding="utf-8") != caller.name:
        raise DefinitionError("this upload belongs to another user; upload the file again")
    return next(p for p in folder.iterdir() if p.name != OWNER)


def forget_upload(token: str) -> None:
    """Delete an upload's folder."""
    if TOKEN.match(token):
        shutil.rmtree(UPLOADS / token, ignore_errors=True)


class TransferPages:
    """Import and export of every entity's records."""

    def __init__(self, environments: Environments) -> None:
        self.environments = environments

    async def upload_page(self, request: Request) -> Response:
        """Step 1: choose a file."""
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        require_import(env, entity, caller_of(request))
        return page(request, "import.html", env=env, entity=entity)

    async def upload(self, request: Request) -> Response:
        """Keep the uploaded file and show how its columns map to fields."""
        _, content = await checked_upload(request, "file")
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        require_import(env, entity, caller_of(request))
        upload = (await request.form()).get("file")
        suffix = (
            Path(upload.filename or "").suffix.lower() if isinstance(upload, UploadFile) else ""
        )
        if not content or suffix not in WORKBOOK_SUFFIXES | {".csv"}:
            problem = "choose a non-empty .csv or Excel (.xlsx) file"
            return page(request, "import.html", 400, env=env, entity=entity, error=problem)
        token = keep_upload(content, suffix, caller_of(request))
        try:
            sheet = await run_in_threadpool(open_sheet, kept_upload(token, caller_of(request)))
        except DefinitionError as exc:
            forget_upload(token)
            message = str(exc).split(": ", 1)[-1]  # the path is our temporary file's
            return page(request, "import.html", 400, env=env, entity=entity, error=message)
        return await self._mapping(
            request, env, entity, token, sheet, automatic(entity, sheet.header)
        )

    async def _mapping(
        self,
        request: Request,
        env: Environment,
        entity: Entity,
        token: str,
        sheet: Sheet,
        chosen: list[str],
        error: str | None = None,
    ) -> Response:
        preview = await run_in_threadpool(
            lambda: [cells for _, cells in islice(sheet.rows(), PREVIEW_ROWS)]
        )
        return page(
            request,
            "import_map.html",
            400 if error else 200,
            env=env,
            entity=entity,
            token=token,
            header=sheet.header,
            chosen=chosen,
            targets=targets(entity),
            preview=preview,
            shown=shown,
            error=error,
        )

    async def run(self, request: Request) -> Response:
        """Step 2: import the kept file with the chosen mapping, then report."""
        form = await checked_form(request)
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        caller = caller_of(request)
        token = form.get("token", "")
        sheet = await run_in_threadpool(open_sheet, kept_upload(token, caller))
        chosen = [form.get(f"map-{i}", "") for i in range(len(sheet.header))]
        mapping = {c: chosen[i] for i, c in enumerate(sheet.header) if c}
        skip = form.get("skip") == "yes"
        try:
            result: ImportResult = await run_in_threadpool(
                lambda: import_sheet(
                    env, entity.name, sheet, mapping, skip_errors=skip, caller=caller
                )
            )
        except ImportRejectedError as exc:
            forget_upload(token)
            return page(
                request,
                "import_report.html",
                400,
                env=env,
                entity=entity,
                result=exc.result,
                rejected=True,
                error="Nothing was imported: the file has bad rows.",
            )
        except MAPPING_PROBLEMS as exc:
            return await self._mapping(request, env, entity, token, sheet, chosen, str(exc))
        except BaseException:
            forget_upload(token)
            raise
        forget_upload(token)
        return page(
            request, "import_report.html", env=env, entity=entity, result=result, rejected=False
        )

    async def export(self, request: Request) -> Response:
        """Every record the caller may read, as a CSV or Excel download."""
        env = await environment_of(self.environments, request)
        entity = entity_of(env, request)
        chosen = request.query_params.get("format", "csv")
        if chosen not in tuple(ExportFormat):
            raise DefinitionError("format: choose csv or xlsx")
        file_format = ExportFormat(chosen)
        folder = Path(tempfile.mkdtemp(prefix="cg-export-"))
        path = folder / f"{entity.name}.{file_format.value}"
        caller = caller_of(request)
        try:
            await run_in_threadpool(
                lambda: export_entity(env, entity.name, path, file_format, caller=caller)
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(
            path, filename=path.name, background=BackgroundTask(shutil.rmtree, folder, True)
        )


def transfer_routes(environments: Environments) -> list[Route]:
    """The import and export routes."""
    pages = TransferPages(environments)
    data = f"{BASE}/environments/{{env}}/data/{{entity}}"
    return [
        Route(f"{data}/import", pages.upload_page, methods=["GET"]),
        Route(f"{data}/import", pages.upload, methods=["POST"]),
        Route(f"{data}/import/run", pages.run, methods=["POST"]),
        Route(f"{data}/export", pages.export, methods=["GET"]),
    ]
