"""The fast path's use of strawberry and graphql-core internals (app/schema/internals.py) is
pinned: an upgrade of either fails here first, saying what to check. And a resolver on the
fast path gets its own field's Info, as graphql-core gives it."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import strawberry
from graphql.execution.collect_fields import CollectedFields
from strawberry.types.execution import ExecutionContext as StrawberryExecution
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from app.schema import internals
from app.schema.fast import FastExecutionContext


def test_the_libraries_are_the_versions_the_internals_were_read_in() -> None:
    for name, checked in internals.CHECKED.items():
        assert version(name) == checked, (
            f"{name} is {version(name)}, not {checked}: app/schema/internals.py leans on its "
            "private names (and fast.py on its execution context). Read each of them in the "
            "new version, run tests/test_internals.py, test_sameness.py, test_compiled.py "
            "and test_fast_lane.py, then set internals.CHECKED."
        )


def test_each_private_name_is_still_there_in_the_shape_used() -> None:
    """What internals.py reads, checked one by one (a clearer failure than a wrong answer)."""
    from graphql.execution.executor import CollectedErrors
    from strawberry.schema.schema_converter import GraphQLCoreConverter

    assert GraphQLCoreConverter.DEFINITION_BACKREF == "strawberry-definition"
    ctx = internals.ExecutionContext
    assert list(inspect.signature(ctx.build_resolve_info).parameters) == [
        "self",
        "field_def",
        "field_nodes",
        "parent_type",
        "path",
    ]
    assert list(inspect.signature(ctx.collect_subfields).parameters) == [
        "self",
        "return_type",
        "field_details_list",
    ]
    assert set(CollectedFields._fields) >= {
        "grouped_field_set",
        "new_defer_usages",
        "forbidden_directive_instances",
    }
    assert set(CollectedErrors.__slots__) == {"_errors", "_error_positions"}
    for method in ("execute_field", "complete_value"):
        assert "position_context" in inspect.signature(getattr(ctx, method)).parameters
    assert {"_raw_info", "_field"} <= set(inspect.signature(Info).parameters)
    made = StrawberryExecution(
        query="{ a }", schema=None, allowed_operations=(), provided_operation_name="A"
    )
    assert internals.provided_operation_name(made) == "A"
    assert list(inspect.signature(StrawberryField.get_result).parameters) == [
        "self",
        "source",
        "info",
        "args",
        "kwargs",
    ]
    assert list(inspect.signature(internals.convert_arguments).parameters)[:2] == [
        "value",
        "arguments",
    ]


# A schema of its own, whose resolvers report the Info they were given.


def _seen(info: Info[Any, Any]) -> str:
    return f"{info.field_name} {info.python_name} {info.path.as_list()} {info.path.typename}"


@strawberry.type
class Line:
    sku: str

    @strawberry.field
    def seen(self, info: Info[Any, Any]) -> str:
        return _seen(info)

    @strawberry.field
    def renamed(self, info: Info[Any, Any], times: int = 1) -> str:
        return _seen(info) * times


@strawberry.type
class Box:
    number: int

    @strawberry.field
    def seen(self, info: Info[Any, Any]) -> str:
        return _seen(info)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[Line]:
        assert info.field_name == "lines"
        return [Line(sku=f"{self.number}-{i}") for i in range(2)]


@strawberry.type
class Query:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [Box(number=n) for n in range(3)]


QUERY = """{ boxes { number seen lines { sku seen again: seen twice: renamed(times: 2) } }
  other: boxes { seen } }"""


async def test_a_resolver_on_the_fast_path_gets_its_own_fields_info() -> None:
    fast = strawberry.Schema(Query, execution_context_class=FastExecutionContext)
    standard = strawberry.Schema(Query)
    made = await fast.execute(QUERY)
    expected = await standard.execute(QUERY)
    assert made.errors is None
    assert made.data == expected.data
    assert made.data is not None
    assert made.data["boxes"][2]["lines"][1]["again"] == (
        "seen seen ['boxes', 2, 'lines', 1, 'again'] Line"
    )
    assert made.data["other"][0]["seen"] == "seen seen ['other', 0, 'seen'] Box"


async def test_the_fast_path_is_the_one_that_ran() -> None:
    """The level-at-a-time path answered (it does not hand these back to graphql-core):
    resolvers there run outside graphql-core's execute_field."""
    calls: list[str] = []

    class Counting(FastExecutionContext):
        def execute_field(self, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(parent_type.name)
            return super().execute_field(parent_type, *args, **kwargs)

    fast = strawberry.Schema(Query, execution_context_class=Counting)
    assert (await fast.execute(QUERY)).errors is None
    assert calls == ["Query", "Query"]  # the root fields alone went through graphql-core
