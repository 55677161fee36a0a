"""The search endpoint as a FastAPI team writes it: a pydantic body, an async
handler (the search is short and CPU-bound: no thread-pool hop), uvicorn with
uvloop and httptools. `uvicorn fastapi_search:app --workers N`."""

from fastapi import FastAPI
from pydantic import BaseModel

from snapshot_index import from_env


class Params(BaseModel):
    ef: int | None = None


class SearchBody(BaseModel):
    vector: list[float]
    topK: int = 10
    params: Params | None = None


index = from_env()
app = FastAPI()


@app.post("/v1/collections/{name}/search")
async def search(name: str, body: SearchBody):
    ef = body.params.ef if body.params else None
    return {"hits": index.search(body.vector, body.topK, ef)}
