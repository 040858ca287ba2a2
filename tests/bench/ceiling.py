"""The ceiling for the benchmark: a bare FastAPI app answering a constant on the same path."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}
