"""Compiled relations: a list field read straight from its table, for a whole level at once.

The fast path (app/schema/fast.py) completes a query a level at a time, but below each
object it still calls the field's resolver: a DataLoader per parent, a Tortoise model for
every row (all its columns converted), a Strawberry object for every model, and then every
field of that object read back and coerced. For the relations a page of orders is made of
(an order's items and shipments, a shipment's items, the tracking page's lines), this
module does the same work from the rows themselves:

- a *plan* is made from the selection (after @include/@skip and fragments, as graphql-core
  collects it): which columns to read, and for each response key how its value is made;
- the plan runs as one SQL statement per relation for every parent of the level, selecting
  only those columns, and builds the response objects directly from the rows.

A plan is made only when every field selected below the relation is one it has learned
(`TABLES`): a plain column, a value made from columns the way the type's `build` makes it,
or another learned relation. A field it does not know, an argument, a permission, a
directive on a fragment variable: then there is no plan and the resolvers run as before.
So coverage grows field by field, and the differential test (tests/sameness.py) holds
every answer to graphql-core's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter
from tortoise.fields.base import Field as ModelField
from tortoise.models import Model

from app.carriers import tracking_url
from app.models import OrderItem, Shipment, ShipmentItem
from app.schema.ids import to_global_id
from app.services.orders import MAX_LINES
from app.services.shipments import MAX_SHIPMENTS

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


class NotLearned(Exception):
    """A selection this module cannot plan: the resolvers answer it."""


class Wrong(Exception):
    """A value the schema refuses (a null where it says non-null, say): graphql-core makes
    the error, with its path, from the start."""


@dataclass(frozen=True)
class Leaf:
    """A field's value from columns of the row (`^name`: the parent's column).

    `make(context, *values)` makes the value as the type's `build` does; without it, the
    one column is the value as it is."""

    columns: tuple[str, ...]
    make: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Table:
    """A GraphQL object type as rows of one table."""

    model: type[Model]
    leaves: dict[str, Leaf]
    relations: dict[str, Relation] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """A list field: the child rows whose `foreign_key` is the parent's id, oldest first,
    at most `limit` a parent (as the resolver cuts them)."""

    table: Table
    foreign_key: str
    limit: int


def _one(name: str) -> Leaf:
    return Leaf((name,))


def _global_id(type_name: str) -> Leaf:
    return Leaf(("id",), lambda _, pk: to_global_id(type_name, pk))


def _or_none(name: str) -> Leaf:
    return Leaf((name,), lambda _, value: value or None)


_TRACKING_URL = Leaf(
    ("tracking_number", "carrier"), lambda _, number, carrier: tracking_url(number, carrier or None)
)

# What each type's `build` makes of its row (app/schema/types): kept in step with it by the
# differential test, which runs every query of the suite through both.
SHIPMENT_ITEM = Table(
    ShipmentItem, {"sku": _one("sku"), "name": _one("name"), "quantity": _one("quantity")}
)
SHIPMENT = Table(
    Shipment,
    {
        "id": _global_id("Shipment"),
        "createdAt": _one("created_at"),
        "trackingNumber": _or_none("tracking_number"),
        "carrier": _or_none("carrier"),
        "trackingUrl": _TRACKING_URL,
        "shippingMethod": _one("shipping_method"),
        "comments": _one("comments"),
        "createdBy": Leaf(
            ("created_by",), lambda context, by: by if context.viewer.is_staff else "store"
        ),
    },
    {"items": Relation(SHIPMENT_ITEM, "shipment_id", MAX_LINES)},
)
ORDER_ITEM = Table(
    OrderItem,
    {
        "id": _global_id("OrderItem"),
        "sku": _one("sku"),
        "name": _one("name"),
        "quantity": _one("quantity"),
        "unitPrice": _one("unit_price"),
        "total": _one("total"),
        "quantityShipped": _one("quantity_shipped"),
        "quantityReturned": _one("quantity_returned"),
        "quantityRestocked": _one("quantity_restocked"),
        "currency": _one("^currency"),
    },
)
TRACKING_ITEM = Table(
    OrderItem,
    {
        "sku": _one("sku"),
        "name": _one("name"),
        "quantity": _one("quantity"),
        "quantityShipped": _one("quantity_shipped"),
    },
)
TRACKING_SHIPMENT = Table(
    Shipment,
    {
        "createdAt": _one("created_at"),
        "trackingNumber": _or_none("tracking_number"),
        "carrier": _or_none("carrier"),
        "trackingUrl": _TRACKING_URL,
    },
)

# Relations of objects the resolvers made (a Strawberry object with its `_model`).
ENTRIES: dict[tuple[str, str], Relation] = {
    ("Order", "items"): Relation(ORDER_ITEM, "order_id", MAX_LINES),
    ("Order", "shipments"): Relation(SHIPMENT, "order_id", MAX_SHIPMENTS),
    ("Shipment", "items"): Relation(SHIPMENT_ITEM, "shipment_id", MAX_LINES),
    ("OrderTracking", "items"): Relation(TRACKING_ITEM, "order_id", MAX_LINES),
    ("OrderTracking", "shipments"): Relation(TRACKING_SHIPMENT, "order_id", MAX_SHIPMENTS),
}


# Leaves whose coercion graphql-core would make a no-op for a value of this exact class.
_PLAIN: dict[Any, str] = {
    GraphQLString: "{v}.__class__ is str",
    GraphQLID: "{v}.__class__ is str",
    GraphQLInt: "{v}.__class__ is int and -2147483648 <= {v} <= 2147483647",
    GraphQLBoolean: "{v}.__class__ is bool",
}


@dataclass(frozen=True)
class Key:
    """One response key of a row's object: a constant (`__typename`), a nested relation's
    list, or a leaf made from `positions` of the row, checked and coerced as its type says."""

    name: str
    constant: str | None = None
    positions: tuple[int, ...] = ()
    make: Callable[..., Any] | None = None
    non_null: bool = False
    scalar: Any = None
    nested: bool = False


@dataclass
class Plan:
    """One relation's rows for a selection: the columns to read (`id` and the foreign key
    first), the parent's values its rows carry, and how each response key is made."""

    relation: Relation
    columns: list[str]
    inherited: list[str] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    children: dict[int, Plan] = field(default_factory=dict)  # by key index
    build: Callable[[list[list[Any]], dict[int, list[Any]], Any], list[dict[str, Any]]] = (
        lambda rows, nested, context: []
    )

    def position(self, name: str) -> int:
        """Where a column (`^name`: an inherited value) stands in this plan's rows."""
        if name.startswith("^"):
            return len(self.columns) + self.inherited.index(name[1:])
        return self.columns.index(name)


def _relation_type(type_: Any) -> GraphQLObjectType:
    """The object type of a `[T!]!` field; anything else is not learned."""
    if (
        isinstance(type_, GraphQLNonNull)
        and isinstance(type_.of_type, GraphQLList)
        and isinstance(type_.of_type.of_type, GraphQLNonNull)
        and isinstance(type_.of_type.of_type.of_type, GraphQLObjectType)
    ):
        return type_.of_type.of_type.of_type
    raise NotLearned


def plan(
    execution: Any,
    relation: Relation,
    field_def: Any,
    details: Any,
    inherit_from: Callable[[str], None] | None = None,
) -> Plan:
    """The plan for a relation field and its selection; NotLearned when it has none.

    `execution` is graphql-core's execution context: it collects the selection (fragments,
    @include/@skip with this request's variables) exactly as the standard path does.
    `inherit_from` asks the parent plan to read a column a child row carries."""
    if field_def.args or any(d.node.arguments for d in details):
        raise NotLearned
    type_ = _relation_type(field_def.type)
    if type_.is_type_of is not None:
        raise NotLearned
    collected = execution.collect_subfields(type_, details)
    if collected.new_defer_usages or collected.forbidden_directive_instances:
        raise NotLearned
    table = relation.table
    made = Plan(relation, ["id", relation.foreign_key])

    def column(name: str) -> None:
        if name.startswith("^"):
            if inherit_from is not None:
                inherit_from(name[1:])  # the parent's row must hold it
            if name[1:] not in made.inherited:
                made.inherited.append(name[1:])
        elif name not in made.columns:
            made.columns.append(name)

    wanted: list[tuple[str, Leaf | None, Any]] = []
    for key, field_details in collected.grouped_field_set.items():
        if any(d.fragment_variable_values is not None for d in field_details):
            raise NotLearned
        name = field_details[0].node.name.value
        if name == "__typename":
            wanted.append((key, None, None))
            continue
        child_def = type_.fields.get(name)
        definition = (child_def.extensions or {}).get(_DEFINITION) if child_def else None
        if child_def is None or definition is None or definition.extensions:
            raise NotLearned  # unknown here, or a permission to check: the resolvers' case
        if name in table.leaves:
            if child_def.args or any(d.node.arguments for d in field_details):
                raise NotLearned
            leaf = table.leaves[name]
            for c in leaf.columns:
                column(c)
            wanted.append((key, leaf, child_def.type))
        elif name in table.relations:
            made.children[len(wanted)] = plan(
                execution, table.relations[name], child_def, field_details, column
            )
            wanted.append((key, None, child_def.type))
        else:
            raise NotLearned
    for key, learned, output in wanted:
        if learned is None:
            made.keys.append(
                Key(key, nested=True) if output is not None else Key(key, constant=type_.name)
            )
            continue
        non_null = isinstance(output, GraphQLNonNull)
        scalar = output.of_type if non_null else output
        if isinstance(scalar, GraphQLList | GraphQLNonNull):
            raise NotLearned
        positions = tuple(made.position(c) for c in learned.columns)
        made.keys.append(Key(key, None, positions, learned.make, non_null, scalar))
    made.build = builder(tuple(made.keys))
    return made


_BUILDERS: dict[tuple[Key, ...], Any] = {}
MAX_BUILDERS = 2048


def builder(
    keys: tuple[Key, ...],
) -> Callable[[list[list[Any]], dict[int, list[Any]], Any], list[dict[str, Any]]]:
    """A function making the response objects of rows for these keys, compiled once per
    selection and kept. Its source holds only generated names and column positions: the
    response keys (the client's aliases) and the values it calls are bound as names."""
    found = _BUILDERS.get(keys)
    if found is not None:
        return found  # type: ignore[no-any-return]
    names: dict[str, Any] = {"Wrong": Wrong, "coerced": _coerced}
    body: list[str] = []
    entries: list[str] = []
    for i, key in enumerate(keys):
        names[f"K{i}"] = key.name
        if key.constant is not None:
            names[f"T{i}"] = key.constant
            entries.append(f"K{i}: T{i}")
            continue
        if key.nested:
            entries.append(f"K{i}: N{i}[p]")
            body.append(f"    N{i} = nested[{i}]")
            continue
        columns = ", ".join(f"r[{at}]" for at in key.positions)
        if key.make is None:
            value = columns
        else:
            names[f"M{i}"] = key.make
            value = f"M{i}(context, {columns})"
        names[f"C{i}"] = key.scalar.coerce_output_value
        plain = _PLAIN.get(key.scalar)
        made = f"coerced(C{i}, v{i})"
        if plain is not None:
            made = f"(v{i} if {plain.format(v=f'v{i}')} else {made})"
        entries.append(
            f"K{i}: {made}" if key.non_null else f"K{i}: (None if v{i} is None else {made})"
        )
        body.append(f"        v{i} = {value}")
        if key.non_null:
            body.append(f"        if v{i} is None: raise Wrong")
    loop = [line for line in body if line.startswith("        ")]
    source = "\n".join(
        [
            "def build(rows, nested, context):",
            *[line for line in body if not line.startswith("        ")],
            "    out = []",
            "    append = out.append",
            "    for p, r in enumerate(rows):",
            *loop,
            "        append({" + ", ".join(entries) + "})",
            "    return out",
        ]
    )
    exec(compile(source, "<bitcart compiled rows>", "exec"), names)  # noqa: S102 - generated, no input
    if len(_BUILDERS) >= MAX_BUILDERS:
        _BUILDERS.clear()
    _BUILDERS[keys] = built = names["build"]
    return built  # type: ignore[no-any-return]


def _coerced(coerce: Callable[[Any], Any], value: Any) -> Any:
    """graphql-core's coercion; a value it refuses is graphql-core's error to make."""
    try:
        coerced = coerce(value)
    except Exception as exc:
        raise Wrong from exc
    if coerced is None or coerced is Undefined:
        raise Wrong
    return coerced


@cache
def _converters(model: type[Model], executor: str) -> dict[str, Callable[[Any], Any] | None]:
    """How Tortoise turns each column into its Python value, as `_init_from_db` does: the
    driver's value as it is, the field's type called on it, or the field's converter (which
    of them depends on the database's driver, hence the executor in the key)."""
    meta = model._meta
    how: dict[str, Callable[[Any], Any] | None] = {}
    for key, _, _ in meta.db_native_fields:
        how[key] = None
    for key, _, f in meta.db_default_fields:
        how[key] = _typed(f.field_type)
    for key, _, f in meta.db_complex_fields:
        how[key] = f.to_python_value
    return how


def _typed(field_type: Any) -> Callable[[Any], Any]:
    return lambda value: value if value is None else field_type(value)


def _source(f: ModelField[Any]) -> str:
    return f.source_field or f.model_field_name


async def _rows(relation: Relation, columns: list[str], keys: list[Any]) -> list[list[Any]]:
    model = relation.table.model
    meta = model._meta
    db = meta.db
    fields = meta.fields_map
    names = ", ".join(f'"{_source(fields[c])}"' for c in columns)
    fk = _source(fields[relation.foreign_key])
    if db.capabilities.dialect == "postgres":
        sql = f'SELECT {names} FROM "{meta.db_table}" WHERE "{fk}" = ANY($1) ORDER BY "id"'  # noqa: S608
        values: list[Any] = [keys]
    else:
        marks = ", ".join("?" * len(keys))
        sql = f'SELECT {names} FROM "{meta.db_table}" WHERE "{fk}" IN ({marks}) ORDER BY "id"'  # noqa: S608
        values = list(keys)
    _, raw = await db.execute_query(sql, values)
    how = _converters(model, db.executor_class.__name__)
    converters = [how[_source(fields[c])] for c in columns]
    if all(c is None for c in converters):
        return [list(r) for r in raw]
    out = []
    for r in raw:
        row = list(r)
        for i, convert in enumerate(converters):
            if convert is not None:
                row[i] = convert(row[i])
        out.append(row)
    return out


async def run(
    made: Plan, parents: list[tuple[Any, list[Any]]], context: Any
) -> list[list[dict[str, Any]]]:
    """Each parent's completed list. A parent is (its id, the values its rows inherit)."""
    if not parents:
        return []
    rows = await _rows(made.relation, made.columns, list(dict.fromkeys(p[0] for p in parents)))
    grouped: dict[Any, list[list[Any]]] = {}
    for row in rows:
        grouped.setdefault(row[1], []).append(row)
    limit = made.relation.limit
    flat: list[list[Any]] = []
    counts: list[int] = []
    for key, inherited in parents:
        mine = grouped.get(key, ())[:limit]
        flat.extend([row + inherited for row in mine] if inherited else mine)
        counts.append(len(mine))
    nested: dict[int, list[Any]] = {}
    for index, child in made.children.items():
        pick = [made.position(c) for c in child.inherited]
        nested[index] = await run(child, [(r[0], [r[i] for i in pick]) for r in flat], context)
    built = made.build(flat, nested, context)
    out: list[list[dict[str, Any]]] = []
    at = 0
    for count in counts:
        out.append(built[at : at + count])
        at += count
    return out
