"""A faster execution path for queries: a root field's value is completed set by set, not
field by field.

graphql-core completes a result one object and one field at a time: a resolve-info object,
Strawberry's resolver wrapper and the completion checks for each of the ~2,000 values of a
page of orders. Here, once a root field has been resolved as usual (its arguments, its
permissions, its errors all as before), everything below it is completed a *level* at a
time: each field is read from every object of the level at once (async relations gathered,
so their DataLoaders batch), leaves are coerced with the schema's own scalars, and the next
level is the objects those fields returned.

Only the normal case is done here. A permission refused, an extension other than a
permission, an abstract type, a null where the schema says non-null, a resolver or an
argument that raises: any of these sends the whole root field back to graphql-core, which
completes it from the start with its own error paths and messages, so an answer is the
same byte for byte either way (the differential test holds both paths to that). Parsing,
validation, the query-cost limit and every other rule run before either path.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.permission import PermissionExtension
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from app.schema import compiled, internals


class _Bail(Exception):
    """Not the normal case: graphql-core completes this root field instead."""


class FastExecutionContext(internals.ExecutionContext):
    """graphql-core's execution, with root fields of queries completed set by set."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any = None,
    ) -> Any:
        """A query's root field: its selection is kept for its resolver, which reads rows
        instead of models when a compiled plan covers what is selected below it."""
        if path.prev is None and self.operation.operation is OperationType.QUERY:
            if not hasattr(self, "root_details"):
                self.root_details: dict[Any, Any] = {}
                if hasattr(self.context_value, "execution"):
                    self.context_value.execution = self
            self.root_details[path.key] = field_details_list
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any = None,
    ) -> Any:
        if (
            path.prev is not None
            or self.operation.operation is not OperationType.QUERY
            or isinstance(result, Exception)
            or is_leaf_type(get_named_type(return_type))
        ):
            return super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        return self._complete_root(
            return_type, field_details_list, info, path, result, position_context
        )

    async def _complete_root(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        try:
            (completed,) = await _Level(self, info).complete(
                return_type, field_details_list, [result], lambda: [path]
            )
            return completed
        except _Bail:
            result = await compiled.materialized(result, info.context)  # objects again
        fallback = super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )
        return await fallback if self.is_awaitable(fallback) else fallback


Paths = Callable[[], list[Path]]


def _picked(paths: Paths, present: list[int]) -> Paths:
    def picked() -> list[Path]:
        made = paths()
        return [made[i] for i in present]

    return picked


def _indexed(paths: Paths, lists: list[list[Any]]) -> Paths:
    return lambda: [
        p.add_key(i) for p, items in zip(paths(), lists, strict=True) for i in range(len(items))
    ]


def _keyed(paths: Paths, key: str, type_name: str) -> Paths:
    return lambda: [p.add_key(key, type_name) for p in paths()]


def _guards(field: StrawberryField) -> list[Any]:
    """The permissions a field checks, when checking them is all its extensions do;
    anything else it does sends the field to graphql-core."""
    guards: list[Any] = []
    for extension in field.extensions:
        if type(extension) is not PermissionExtension or extension.fail_silently:
            raise _Bail
        guards.extend(extension.permissions)
    return guards


class _Infos:
    """Each object's Info for one field, as graphql-core and Strawberry would give its
    resolver (its own path and field name): made only when a resolver or a permission
    asks for it."""

    def __init__(
        self,
        execution: FastExecutionContext,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField,
        field: StrawberryField,
        details: Any,
        paths: Paths,
    ) -> None:
        self.execution = execution
        self.parent_type = parent_type
        self.field_def = field_def
        self.field = field
        self.details = details
        self.paths = paths
        self.made: list[Path] | None = None

    def __getitem__(self, index: int) -> Info[Any, Any]:
        if self.made is None:
            self.made = self.paths()
        raw = internals.resolve_info(
            self.execution, self.field_def, self.details, self.parent_type, self.made[index]
        )
        return internals.field_info(raw, self.field)


def _leaves(type_: Any, values: list[Any]) -> list[Any]:
    """Leaves coerced with the schema's own scalar; a refusal is graphql-core's to make."""
    coerce = type_.coerce_output_value
    out = []
    for value in values:
        try:
            coerced = coerce(value)
        except Exception as exc:
            raise _Bail from exc
        if coerced is None or coerced is Undefined:
            raise _Bail
        out.append(coerced)
    return out


def _lists(values: list[Any]) -> list[list[Any]]:
    if any(isinstance(v, str | bytes | dict) or not hasattr(v, "__iter__") for v in values):
        raise _Bail
    return [list(v) for v in values]


class _Level:
    """Completes values of one type for a whole list of sources at once."""

    def __init__(self, context: FastExecutionContext, info: GraphQLResolveInfo[Any]) -> None:
        self.context = context
        self.info = info

    async def complete(
        self, type_: GraphQLOutputType, details: Any, values: Sequence[Any], paths: Paths
    ) -> list[Any]:
        """`paths()` gives each value's response path: made only when asked for (a
        refused guarded leaf's error, a resolver's Info), not for every value of every
        level."""
        if isinstance(type_, GraphQLNonNull):
            completed = await self.complete(type_.of_type, details, values, paths)
            if any(value is None for value in completed):
                raise _Bail
            return completed
        present = [i for i, v in enumerate(values) if v is not None and v is not Undefined]
        if not present:
            return [None] * len(values)
        if len(present) == len(values):
            return await self._present(type_, details, list(values), paths)
        made = await self._present(
            type_, details, [values[i] for i in present], _picked(paths, present)
        )
        out: list[Any] = [None] * len(values)
        for i, value in zip(present, made, strict=True):
            out[i] = value
        return out

    async def _present(
        self, type_: GraphQLOutputType, details: Any, values: list[Any], paths: Paths
    ) -> list[Any]:
        """Values none of which is null."""
        if isinstance(type_, GraphQLList):
            lists = _lists(values)
            flat = await self.complete(
                type_.of_type, details, [x for v in lists for x in v], _indexed(paths, lists)
            )
            out = []
            at = 0
            for items in lists:
                out.append(flat[at : at + len(items)])
                at += len(items)
            return out
        if is_leaf_type(type_):
            return _leaves(type_, values)
        if not isinstance(type_, GraphQLObjectType):  # interfaces and unions
            raise _Bail
        return await self._objects(type_, details, values, paths)

    async def _objects(
        self, type_: GraphQLObjectType, details: Any, objects: list[Any], paths: Paths
    ) -> list[dict[str, Any]]:
        if type(objects[0]) is compiled.RowNode:  # rows a root resolver read for its plan
            return await self._rows(type_, objects, paths)
        if type_.is_type_of is not None:
            for obj in objects:
                if type_.is_type_of(obj, self.info) is not True:
                    raise _Bail
        collected = internals.collect_subfields(self.context, type_, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise _Bail
        results: list[dict[str, Any]] = [{} for _ in objects]
        for key, field_details in collected.grouped_field_set.items():
            values = await self._field(type_, key, field_details, objects, paths)
            for result, value in zip(results, values, strict=True):
                result[key] = value
        return results

    async def _rows(
        self, type_: GraphQLObjectType, objects: list[Any], paths: Paths
    ) -> list[dict[str, Any]]:
        made = objects[0].plan
        if made.type_name != type_.name or any(
            type(o) is not compiled.RowNode or o.plan is not made for o in objects
        ):
            raise _Bail
        try:
            rows = [o.row for o in objects]
            return await compiled.completed(made, rows, self.info.context, self.context, paths)
        except compiled.Wrong as exc:
            raise _Bail from exc

    async def _field(
        self,
        type_: GraphQLObjectType,
        key: str,
        field_details: Any,
        objects: list[Any],
        paths: Paths,
    ) -> list[Any]:
        """One response key's values on every object of the level."""
        if any(d.fragment_variable_values is not None for d in field_details):
            raise _Bail
        name = field_details[0].node.name.value
        if name == "__typename":
            return [type_.name] * len(objects)
        field_def = type_.fields.get(name)
        field = internals.definition(field_def)
        if field_def is None or field is None:
            raise _Bail
        lists = await self._compiled(type_, name, field_def, field_details, objects)
        if lists is not None:
            return lists
        keyed = _keyed(paths, key, type_.name)
        infos = _Infos(self.context, type_, field_def, field, field_details, keyed)
        guards = _guards(field)
        for i, obj in enumerate(objects if guards else ()):
            for guard in guards:  # a refusal, with its error, is graphql-core's to make
                if guard.has_permission(obj, infos[i]) is not True:
                    raise _Bail
        arguments = self._arguments(field_def, field, field_details, infos)
        resolved = await self._resolve(field, objects, arguments, infos)
        return await self.complete(field_def.type, field_details, resolved, keyed)

    async def _compiled(
        self,
        type_: GraphQLObjectType,
        name: str,
        field_def: GraphQLField,
        field_details: Any,
        objects: list[Any],
    ) -> list[Any] | None:
        """A relation of objects the resolvers made, read as rows when its selection is
        learned (app/schema/compiled.py); None when it is not."""
        relation = compiled.ENTRIES.get((type_.name, name))
        if relation is None or not all(hasattr(obj, "_model") for obj in objects):
            return None
        try:
            made = compiled.relation_plan(self.context, relation, field_def, field_details)
        except compiled.NotLearned:
            return None
        parents = [
            (obj._model.id, [getattr(obj._model, c) for c in made.inherited]) for obj in objects
        ]
        try:
            return await compiled.run(made, parents, self.info.context)
        except compiled.Wrong as exc:
            raise _Bail from exc

    def _arguments(
        self, field_def: GraphQLField, field: StrawberryField, field_details: Any, infos: _Infos
    ) -> dict[str, Any]:
        """The field's arguments, coerced by graphql-core and converted by Strawberry as
        its resolver wrapper does; the same for every object of the level."""
        node = field_details[0].node
        if not field_def.args and not node.arguments:
            return {}
        if field_details[0].fragment_variable_values is not None:
            raise _Bail
        info = infos[0]
        try:
            coerced = get_argument_values(field_def, node, self.context.variable_values)
            return internals.convert_arguments(
                coerced,
                field.arguments,
                scalar_registry=info.schema.schema_converter.scalar_registry,
                config=info.schema.config,
                info=info,
            )
        except Exception as exc:  # graphql-core reports it, with its path
            raise _Bail from exc

    async def _resolve(
        self,
        field: StrawberryField,
        objects: list[Any],
        arguments: dict[str, Any],
        infos: _Infos,
    ) -> list[Any]:
        """The field's value on every object: as Strawberry would get it, without its
        per-call wrapper (permissions were checked, arguments converted, by the caller).
        A resolver asking for its Info gets its own (`infos`: its path, its field)."""
        try:
            got = _results(field, objects, arguments, infos)
            waiting = [i for i, value in enumerate(got) if inspect.isawaitable(value)]
            if waiting:
                # together, so the relations' DataLoaders load the whole level in one query
                done = await asyncio.gather(*(got[i] for i in waiting), return_exceptions=True)
                for i, value in zip(waiting, done, strict=True):
                    if isinstance(value, BaseException):
                        raise _Bail from value
                    got[i] = value
            return got
        except _Bail:
            raise
        except Exception as exc:  # graphql-core reports it, with its path
            raise _Bail from exc


def _results(
    field: StrawberryField, objects: list[Any], arguments: dict[str, Any], infos: _Infos
) -> list[Any]:
    """Each object's result (or awaitable) from the field's resolver or attribute."""
    resolver = field.base_resolver
    if resolver is None:
        if arguments:
            raise _Bail
        return [field.get_result(obj, info=None, args=[], kwargs={}) for obj in objects]
    if resolver.parent_parameter is not None or resolver.root_parameter is not None:
        raise _Bail
    asks = resolver.info_parameter.name if resolver.info_parameter is not None else None
    with_self = resolver.self_parameter is not None
    got = []
    for i, obj in enumerate(objects):
        kwargs = {**arguments, asks: infos[i]} if asks is not None else arguments
        got.append(field.get_result(obj, info=None, args=[obj] if with_self else [], kwargs=kwargs))
    return got
