"""Which GraphQL fields are asked for, in the metrics and on the access log line.

The label is the operation type and root field (`query.items`, `mutation.createItem`):
only documents that passed validation are counted by field, so the schema bounds the
label whatever clients send; any other document counts once as `invalid`.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import FieldNode, OperationDefinitionNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

INVALID = "invalid"


class OperationMetrics(SchemaExtension):
    """One instance per operation (the schema is given the class)."""

    executed = False

    def on_execute(self) -> Iterator[None]:
        self.executed = True  # reached only by a document that parsed and validated
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        fields = self._root_fields() if self.executed else [INVALID]
        outcome = "error" if context.result is None or context.result.errors else "ok"
        structlog.contextvars.bind_contextvars(graphql=fields)
        for field in fields:
            context.context.metrics.graphql_field_answered(field, outcome)

    def _root_fields(self) -> list[str]:
        context = self.execution_context
        if context.graphql_document is None:
            return [INVALID]
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            return [INVALID]
        kind = operation.operation.value
        names = [
            f"{kind}.{selection.name.value}"
            for selection in operation.selection_set.selections
            if isinstance(selection, FieldNode)
        ]
        return names or [INVALID]
