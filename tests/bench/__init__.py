"""The template's benchmark: `uvx nox -s bench` bakes a project and load-tests it with wrk.

__main__.py bakes and prepares the project; harness.py runs with the project's interpreter and
serves the service, ceiling.py (a bare FastAPI app) and floor.py (the same database work alone).
"""
