"""Coal-mine upload files over HTTP: upload CDDY / CDSS / YCBJ files of an enterprise (a coal mine)
and bind the mine codes (煤矿编码) its files carry. The rules are in `coal_ingest`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import ERROR_RESPONSES, Ctx, ObjectId
from zhiben.errors import InvalidInputError
from zhiben.monitoring import coal_ingest
from zhiben.monitoring.ingest import Ingestor

router = APIRouter(prefix="/api/v1", tags=["monitoring"], responses=ERROR_RESPONSES)

MAX_FILES = 50


class CoalFileProblem(BaseModel):
    line: int = Field(description="the line where the record starts (1-based); 0 for the whole file")
    record: int = Field(description="the record number (1-based); 0 for the header or the whole file")
    reason: str
    reason_zh: str
    raw: str


class LooserLimitRead(BaseModel):
    point_code: str
    condition: str = Field(description="alarm:hi, alarm:lo or power_off")
    what: str = Field(description="setpoint or restore")
    mine: float | None = Field(description="the mine's value; null when the file sets none")
    regulation: float
    source: str = Field(description="the regulation table row")


class CoalFileReportRead(BaseModel):
    name: str
    sha256: str
    outcome: coal_ingest.Outcome = Field(
        description="stored | incomplete (still being written: upload it again later) | quarantined | unsupported"
    )
    kind: str | None = Field(description="CDDY, CDSS, YCBJ, or the type named in the file name")
    mine_code: str | None
    reason: str
    reason_zh: str
    encoding: str | None
    records: int
    kept: int
    problems: list[CoalFileProblem]
    notes: list[str]
    sensors_created: int
    sensors_updated: int
    sensors_unchanged: int
    definitions_older: int
    looser_limits: list[LooserLimitRead] = Field(description="CDDY limits looser than the regulation's")
    readings_stored: int
    readings_duplicate: int
    readings_late: int
    readings_no_value: int
    readings_not_measured: int
    readings_out_of_service: int
    unknown_points: list[str]
    alarms_opened: int
    alarms_closed: int
    abnormal_created: int
    abnormal_updated: int
    abnormal_unchanged: int
    quarantined_as: str | None = Field(
        description="the quarantined copy, under the data folder's quarantine/"
    )


class CoalUploadReport(BaseModel):
    files: list[CoalFileReportRead]


class CoalMineCodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: int
    mine_code: str
    mine_name: str
    bound_at: datetime
    bound_by: str


@router.post("/enterprises/{enterprise_id}/coal-files", response_model=CoalUploadReport)
def upload_coal_files(
    ctx: Ctx,
    enterprise_id: ObjectId,
    files: Annotated[
        list[UploadFile],
        File(description="upload files <煤矿编码>_<CDDY|CDSS|YCBJ>_<yyyyMMddHHmmss>.txt, UTF-8 or GBK"),
    ],
) -> CoalUploadReport:
    """Ingest coal-mine networking upload files of the enterprise, each in its own transaction, in the
    order given (send a CDDY before the CDSS that uses its points). The mine code of each file must be
    bound to the enterprise (PUT .../coal-mine-codes/{mine_code}). The answer is a report per file:
    a malformed file is quarantined with the reason and each bad record's line; an incomplete one
    stores nothing and can be sent again. At most 50 files of 32 MB each."""
    if len(files) > MAX_FILES:
        raise InvalidInputError("files", "too_many", f"at most {MAX_FILES} files per upload")
    contents = [(upload.filename or "upload", _read(upload)) for upload in files]
    quarantine_dir = ctx.state.settings.data_dir / "quarantine"
    ingestor = Ingestor()
    reports: list[coal_ingest.CoalFileReport] = []
    for name, data in contents:
        with ctx.write() as session:
            reports.append(
                coal_ingest.ingest_coal_file(
                    session, ctx.principal, enterprise_id, name, data, ingestor, quarantine_dir=quarantine_dir
                )
            )
    return CoalUploadReport(files=[CoalFileReportRead.model_validate(r.as_dict()) for r in reports])


def _read(upload: UploadFile) -> bytes:
    data = upload.file.read(coal_ingest.MAX_FILE_BYTES + 1)
    if len(data) > coal_ingest.MAX_FILE_BYTES:
        raise InvalidInputError(
            "files", "too_large", f"{upload.filename} is larger than {coal_ingest.MAX_FILE_BYTES // 2**20} MB"
        )
    return data


@router.get("/enterprises/{enterprise_id}/coal-mine-codes", response_model=list[CoalMineCodeRead])
def list_coal_mine_codes(ctx: Ctx, enterprise_id: ObjectId) -> list[CoalMineCodeRead]:
    with ctx.read() as session:
        rows = coal_ingest.mine_codes_of(session, ctx.principal, enterprise_id)
        return [CoalMineCodeRead.model_validate(row) for row in rows]


@router.put("/enterprises/{enterprise_id}/coal-mine-codes/{mine_code}", response_model=CoalMineCodeRead)
def bind_coal_mine_code(
    ctx: Ctx,
    enterprise_id: ObjectId,
    mine_code: str,
    mine_name: Annotated[
        str, Query(max_length=200, description="煤矿名称, as the files' headers give it")
    ] = "",
) -> CoalMineCodeRead:
    """Bind a mine code (煤矿编码, 12 digits since 2019) to the enterprise: upload files carrying it are
    then accepted for this enterprise. Idempotent; a code bound to another enterprise is a 409."""
    with ctx.write() as session:
        row = coal_ingest.bind_mine_code(session, ctx.principal, enterprise_id, mine_code, mine_name)
        return CoalMineCodeRead.model_validate(row)
