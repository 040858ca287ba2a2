"""What jobs ask for: the worker's resources, as a taskiq dependency."""

from __future__ import annotations

from typing import Annotated

from taskiq import TaskiqDepends, TaskiqState

from {{ cookiecutter.package_name }}.core.resources import Resources


def bind_worker_resources(state: TaskiqState, resources: Resources) -> None:
    state.resources = resources


def get_worker_resources(state: Annotated[TaskiqState, TaskiqDepends()]) -> Resources:
    resources: Resources = state.resources
    return resources


WorkerResourcesDep = Annotated[Resources, TaskiqDepends(get_worker_resources)]
