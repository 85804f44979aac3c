"""``/api/v1/schemas``: the IPTC ninjs schemas items are validated against."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from newsbridge.accounts.api_keys import Principal
from newsbridge.api.deps import caller
from newsbridge.formats import ninjs

router = APIRouter(prefix="/api/v1", tags=["formats"])


@router.get("/schemas/{name}", summary="The IPTC ninjs schema the hub validates against")
def read_schema(name: Literal["ninjs2", "ninjs3"], _principal: Principal = Depends(caller(None))) -> JSONResponse:
    return JSONResponse(ninjs.schema_document(int(name[-1])))
