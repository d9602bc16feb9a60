"""Compiled reads: objects built straight from their rows, a whole level at once.

The fast path (app/schema/fast.py) completes a query a level at a time, but each object
still came from a resolver: a Tortoise model for every row (all its columns converted), a
Strawberry object for every model, a DataLoader per parent, and then every field read back
and coerced. For what a page of orders is made of, this module does that work from rows:

- a *plan* is made from the selection (after fragments and @include/@skip, as graphql-core
  collects it): which columns to read, and for each response key how its value is made;
- the rows are read with only those columns: an order list's or one order's by its root
  resolver (`node_plan`, `object_plan`: the service's own query, as `values_list`), each
  relation in one statement for every parent of the level (`run`);
- a function generated once per selection shape (`builder`) makes the response objects
  from the rows, with graphql-core's coercion and null checks.

A plan is made only when every field selected is one it has learned: a `Leaf` of the
type's `Table` (a field of the read model, app/read_model.py, whose columns, access rule
and `make` the type's `build` and resolvers use as well), an object made from the same row
(an order's addresses and payment), or a learned `Relation`. A field it does not know, an
argument, a permission other than a staff-only leaf's, a fragment variable: no plan, and
the resolvers run as before. So coverage grows field by field, and the
differential test (tests/sameness.py) holds every answer to graphql-core's, byte for byte.
Plans are kept per selection: its nodes in the parsed document and the Boolean variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    get_named_type,
    located_error,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Undefined
from strawberry.permission import PermissionExtension
from tortoise.models import Model

from app import read_model
from app.db import select_rows
from app.models import (
    EventVisibility,
    Order,
    OrderEvent,
    OrderItem,
    PaymentTransaction,
    Product,
    Refund,
    Shipment,
    ShipmentItem,
    User,
)
from app.schema import internals
from app.schema.types.catalog import Product as ProductObject
from app.schema.types.orders import Order as OrderObject
from app.schema.types.shipments import Shipment as ShipmentObject
from app.services.errors import DomainError
from app.services.orders import MAX_LINES
from app.services.pagination import page_in_memory
from app.services.refunds import MAX_REFUNDS
from app.services.shipments import MAX_SHIPMENTS
from app.services.transactions import MAX_TRANSACTIONS


class NotLearned(Exception):
    """A selection this module cannot plan: the resolvers answer it."""


class Wrong(Exception):
    """A value the schema refuses (a null where it says non-null, say): graphql-core makes
    the error, with its path, from the start."""


# A leaf is a read-model field (app/read_model.py): its columns, how its value is made, and
# whether it is staff only (null with the permission's error for anyone else, as the
# resolvers make it: its permission classes decide it from the viewer alone).
Leaf = read_model.Field


@dataclass(frozen=True)
class Table:
    """A GraphQL object type as rows of one table."""

    model: type[Model]
    leaves: Mapping[str, Leaf]
    relations: dict[str, Relation] = field(default_factory=dict)
    # non-null objects made from the same row (an order's addresses, its payment)
    objects: dict[str, Table] = field(default_factory=dict)
    # the Strawberry object the type's resolvers make of a model and the request's context
    # (for a root's rows)
    build: Callable[[Any, Any], Any] | None = None


@dataclass(frozen=True)
class Relation:
    """A list field: the child rows whose `foreign_key` is the parent's id, oldest first,
    at most `limit` a parent (as the resolver cuts them). With `by`, one object instead:
    the row whose id is the parent's `by` column, or null (an order's customer)."""

    table: Table
    foreign_key: str
    limit: int
    by: str | None = None
    # a connection paged forwards in memory (first/after), as page_in_memory pages the
    # resolver's list; `hidden` gives the rows a viewer may not see, as a column's value
    paged: bool = False
    hidden: Callable[[Any], tuple[str, Any] | None] | None = None


def _table(
    model: type[Model],
    entity: read_model.Entity,
    relations: dict[str, Relation] | None = None,
    objects: dict[str, Table] | None = None,
    build: Callable[[Any, Any], Any] | None = None,
) -> Table:
    """A read-model entity's table: its fields, and its objects made from the same row
    (`objects`: those with relations of their own)."""
    made = {name: Table(model, inner.fields) for name, inner in entity.objects.items()}
    made.update(objects or {})
    return Table(model, entity.fields, relations or {}, made, build)


TRANSACTION = _table(PaymentTransaction, read_model.TRANSACTION)
CUSTOMER = _table(User, read_model.CUSTOMER)
PAYMENT = _table(
    Order,
    read_model.PAYMENT,
    {"transactions": Relation(TRANSACTION, "order_id", MAX_TRANSACTIONS)},
)
SHIPMENT_ITEM = _table(ShipmentItem, read_model.SHIPMENT_ITEM)
SHIPMENT = _table(
    Shipment, read_model.SHIPMENT, {"items": Relation(SHIPMENT_ITEM, "shipment_id", MAX_LINES)}
)
ORDER_ITEM = _table(OrderItem, read_model.ORDER_ITEM)
TRACKING_ITEM = _table(OrderItem, read_model.TRACKING_ITEM)
TRACKING_SHIPMENT = _table(Shipment, read_model.TRACKING_SHIPMENT)
EVENT = _table(OrderEvent, read_model.EVENT)
REFUND = _table(Refund, read_model.REFUND)


def _private_events(context: Any) -> tuple[str, Any] | None:
    """The timeline's rows this viewer may not see (the resolver's public_events loader)."""
    if read_model.sees_private_events(context):
        return None
    return ("visibility", EventVisibility.PUBLIC.value)


ORDER = _table(
    Order,
    read_model.ORDER,
    {
        "items": Relation(ORDER_ITEM, "order_id", MAX_LINES),
        "shipments": Relation(SHIPMENT, "order_id", MAX_SHIPMENTS),
        "customer": Relation(CUSTOMER, "id", 1, by="customer_id"),
        "refunds": Relation(REFUND, "order_id", MAX_REFUNDS),
        "events": Relation(EVENT, "order_id", 0, paged=True, hidden=_private_events),
    },
    {"payment": PAYMENT},
    build=lambda order, _: OrderObject.build(order),
)
PRODUCT = _table(
    Product,
    read_model.PRODUCT,
    build=lambda product, context: ProductObject.build(product, context.settings.currency),
)
# the shipments list's nodes: a shipment's own table, made as Shipment.build makes it
SHIPMENTS = replace(SHIPMENT, build=lambda shipment, _: ShipmentObject.build(shipment))

# The tables by their GraphQL type, and the fields of those types the plans leave to the
# resolvers (a selection naming one is not planned). Every other field of these types is a
# table's leaf (a read-model field), relation or object: tests/test_read_model.py holds the
# schema, the read model and these to each other.
TABLES: dict[str, Table] = {
    "Order": ORDER,
    "Payment": PAYMENT,
    "Address": ORDER.objects["billingAddress"],
    "OrderItem": ORDER_ITEM,
    "Shipment": SHIPMENT,
    "ShipmentItem": SHIPMENT_ITEM,
    "PaymentTransaction": TRANSACTION,
    "Refund": REFUND,
    "OrderEvent": EVENT,
    "Customer": CUSTOMER,
    "TrackingItem": TRACKING_ITEM,
    "TrackingShipment": TRACKING_SHIPMENT,
    "Product": PRODUCT,
}
LEFT_TO_RESOLVERS: dict[str, frozenset[str]] = {
    "Order": frozenset(("returns", "refundRequests", "documents")),
    "Shipment": frozenset(("order",)),
    "ShipmentItem": frozenset(("orderItem",)),
    "Refund": frozenset(("items", "refundRequestId")),
    "OrderEvent": frozenset(("order",)),
}


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


@dataclass(frozen=True, eq=False)
class Guard:
    """A guarded leaf's permissions and what its error is made with."""

    permissions: tuple[Any, ...]
    field_def: Any
    details: Any

    def refused(self, context: Any) -> Any:
        """The first permission this viewer fails, or None. They are decided from the
        viewer alone (the staff-only leaves), so once for a request's rows."""
        info = _ViewerInfo(context)
        for permission in self.permissions:
            if permission.has_permission(None, info) is not True:
                return permission
        return None


@dataclass(frozen=True, slots=True)
class _ViewerInfo:
    """What a permission deciding from the viewer alone (`viewer_alone`) reads of its Info."""

    context: Any


@dataclass(frozen=True)
class Key:
    """One response key of a row's object: a constant (`__typename`), a nested relation's
    list, an object of its own keys made from the same row, or a leaf made from `positions`
    of the row, checked and coerced as its type says."""

    name: str
    constant: str | None = None
    positions: tuple[int, ...] = ()
    make: Callable[..., Any] | None = None
    non_null: bool = False
    scalar: Any = None
    nested: int | None = None  # the child plan whose lists it takes
    single: bool = False  # ...or whose one object (a `by` relation), or null
    fields: tuple[Key, ...] | None = None  # an object made from the same row
    guard: Guard | None = None  # permissions to pass, or null and their error
    per_viewer: bool = False  # `make` takes the request's context first


@dataclass
class Plan:
    """One relation's rows for a selection: the columns to read (`id` and the foreign key
    first), the parent's values its rows carry, and how each response key is made."""

    relation: Relation | None  # None: a root's rows, read by its resolver
    columns: list[str]
    key: str = ""  # a relation's response key in its parent's objects
    inherited: list[str] = field(default_factory=list)
    type_name: str = ""
    table: Table | None = None
    keys: list[Key] = field(default_factory=list)
    children: dict[int, Plan] = field(default_factory=dict)  # numbered as planned
    # a paged relation's connection: its selection's shape, and where its arguments are
    shape: list[tuple[str, str, Any]] | None = None
    arguments: tuple[Any, Any] | None = None  # (field definition, its field node)
    build: Callable[..., list[dict[str, Any]]] = lambda rows, nested, context, refused=(): []

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
    if relation.paged:
        return _paged_plan(execution, relation, field_def, details, inherit_from)
    if field_def.args or any(d.node.arguments for d in details):
        raise NotLearned
    if relation.by is None:
        type_ = _relation_type(field_def.type)
        made = Plan(relation, ["id", relation.foreign_key])
    elif isinstance(field_def.type, GraphQLObjectType):  # one object, or null
        type_ = field_def.type
        made = Plan(relation, ["id"])
    else:
        raise NotLearned
    return _planned(execution, relation.table, type_, details, made, inherit_from)


def _paged_plan(
    execution: Any,
    relation: Relation,
    field_def: Any,
    details: Any,
    inherit_from: Callable[[str], None] | None,
) -> Plan:
    """A paged relation's plan: its nodes' plan, with the connection's shape around them
    (`edges { cursor node }`, `pageInfo`, `totalCount`, `__typename`, by response key)."""
    connection = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else None
    if not isinstance(connection, GraphQLObjectType) or len(details) != 1:
        raise NotLearned
    made = Plan(relation, ["id", relation.foreign_key], arguments=(field_def, details[0].node))
    made.shape = []
    nodes: list[Any] = []
    edge_type = get_named_type(connection.fields["edges"].type)
    info_type = get_named_type(connection.fields["pageInfo"].type)
    for key, name, found in _selected(execution, connection, details):
        if name == "edges":
            parts = [(k, n, n == "node") for k, n, f in _selected(execution, edge_type, found)]
            nodes += [f for k, n, f in _selected(execution, edge_type, found) if n == "node"]
            if any(n not in ("node", "cursor", "__typename") for _, n, _ in parts):
                raise NotLearned
            made.shape.append((key, "edges", [(k, n, edge_type.name) for k, n, _ in parts]))
        elif name == "pageInfo":
            parts = [(k, n, info_type.name) for k, n, _ in _selected(execution, info_type, found)]
            made.shape.append((key, "pageInfo", parts))
        elif name in ("totalCount", "__typename"):
            made.shape.append((key, name, connection.name))
        else:
            raise NotLearned
    if len(nodes) > 1:
        raise NotLearned  # nodes under two keys: the resolvers' case
    node_type = get_named_type(edge_type.fields["node"].type)
    if not nodes:
        made.type_name, made.table, made.build = node_type.name, relation.table, builder(())
        return made
    return _planned(execution, relation.table, node_type, nodes[0], made, inherit_from)


def _selected(execution: Any, type_: GraphQLObjectType, details: Any) -> list[tuple[str, str, Any]]:
    """(response key, field name, its details) of a selection on `type_`."""
    collected = internals.collect_subfields(execution, type_, details)
    if collected.new_defer_usages or collected.forbidden_directive_instances:
        raise NotLearned
    found = []
    for key, field_details in collected.grouped_field_set.items():
        if any(d.fragment_variable_values is not None for d in field_details):
            raise NotLearned
        found.append((key, field_details[0].node.name.value, field_details))
    return found


def rows_plan(execution: Any, table: Table, type_: GraphQLObjectType, details: Any) -> Plan:
    """The plan for objects a root resolver reads as rows of `table` (`id` first)."""
    return _cached(
        (id(table), type_.name),
        execution,
        details,
        lambda: _planned(execution, table, type_, details, Plan(None, ["id"]), None),
    )


def relation_plan(execution: Any, relation: Relation, field_def: Any, details: Any) -> Plan:
    """The plan for a relation of objects the resolvers made."""
    return _cached(
        (id(relation), id(field_def)),
        execution,
        details,
        lambda: plan(execution, relation, field_def, details),
    )


# Plans by what they are for, the selection's nodes in the parsed document (kept alive with
# the plan, so their ids stand for them) and the Boolean variables (@include/@skip).
_PLANS: dict[tuple[Any, ...], tuple[Plan | None, list[Any]]] = {}
MAX_PLANS = 2048


def _cached(what: tuple[Any, ...], execution: Any, details: Any, make: Callable[[], Plan]) -> Plan:
    coerced = execution.variable_values.coerced
    switches = tuple(sorted((k, v) for k, v in coerced.items() if type(v) is bool))
    key = (
        *what,
        id(execution.schema),
        tuple(id(d.node) for d in details),
        switches,
    )
    found = _PLANS.get(key)
    if found is None:
        try:
            made: Plan | None = make()
        except NotLearned:
            made = None
        if len(_PLANS) >= MAX_PLANS:
            _PLANS.clear()
        found = _PLANS[key] = (made, [d.node for d in details])
    if found[0] is None:
        raise NotLearned
    return found[0]


def _planned(
    execution: Any,
    table: Table,
    type_: GraphQLObjectType,
    details: Any,
    made: Plan,
    inherit_from: Callable[[str], None] | None,
) -> Plan:
    made.type_name = type_.name
    made.table = table

    def column(name: str) -> None:
        if name.startswith("^"):
            if made.relation is None:
                raise NotLearned  # a root's rows have no parent
            if inherit_from is not None:
                inherit_from(name[1:])  # the parent's row must hold it
            if name[1:] not in made.inherited:
                made.inherited.append(name[1:])
        elif name not in made.columns:
            made.columns.append(name)

    # rows whose response paths are known (a root's, a list relation's of them), where a
    # guarded leaf's refusal can be placed
    pathed = made.relation is None or (made.relation.by is None and not made.relation.paged)
    wanted = _wanted(execution, table, type_, details, made, column, pathed)
    made.keys = list(_keys(wanted, made))
    made.build = builder(tuple(made.keys))
    return made


def _wanted(
    execution: Any,
    table: Table,
    type_: GraphQLObjectType,
    details: Any,
    made: Plan,
    column: Callable[[str], None],
    top: bool = False,
) -> list[tuple[str, str, Any, Any]]:
    """What each response key of `type_` is: (key, kind, what, its GraphQL type), kind
    being "typename", "leaf", "relation" (what: the child plan's number), "object" (what:
    its own keys, made from the same row) or "guarded" (what: the leaf and its field).
    Guarded leaves are learned on a root's own rows (`top`), whose paths the fast path
    knows, for the error of a refusal."""
    if type_.is_type_of is not None:
        raise NotLearned
    return [
        _wanted_one(execution, table, type_, selected, made, column, top)
        for selected in _selected(execution, type_, details)
    ]


def _wanted_one(
    execution: Any,
    table: Table,
    type_: GraphQLObjectType,
    selected: tuple[str, str, Any],
    made: Plan,
    column: Callable[[str], None],
    top: bool,
) -> tuple[str, str, Any, Any]:
    """What one response key (key, field name, its details) of `type_` is."""
    key, name, field_details = selected
    if name == "__typename":
        return (key, "typename", type_.name, None)
    child_def = type_.fields.get(name)
    definition = internals.definition(child_def)
    if child_def is None or definition is None:
        raise NotLearned  # unknown here: the resolvers' case
    paged = name in table.relations and table.relations[name].paged
    if not paged and (child_def.args or any(d.node.arguments for d in field_details)):
        raise NotLearned
    output = child_def.type
    leaf = table.leaves.get(name)
    if leaf is not None:
        guarded = _leaf(leaf, definition, top, column)
        what = (leaf, guarded, child_def, field_details) if guarded else leaf
        return (key, "guarded" if guarded else "leaf", what, output)
    if definition.extensions:
        raise NotLearned  # a permission on a relation or object: the resolvers' case
    if name in table.relations:
        relation = table.relations[name]
        if relation.by is not None:
            column(relation.by)
        number = len(made.children)
        made.children[number] = plan(execution, relation, child_def, field_details, column)
        made.children[number].key = key
        return (key, "relation", number, output)
    inner = output.of_type if isinstance(output, GraphQLNonNull) else None
    if name in table.objects and isinstance(inner, GraphQLObjectType):
        own = _wanted(execution, table.objects[name], inner, field_details, made, column)
        return (key, "object", own, output)
    raise NotLearned


def _leaf(leaf: Leaf, definition: Any, top: bool, column: Callable[[str], None]) -> tuple[Any, ...]:
    """Reads the leaf's columns; its permissions, if it checks any (learned only for a
    staff-only leaf, on a root's own rows)."""
    guards = _guards(definition) if definition.extensions else ()
    if guards and (not leaf.staff_only or not top):
        raise NotLearned
    if leaf.staff_only and not guards:
        raise NotLearned  # a staff-only field its type does not guard: never from rows
    for c in leaf.columns:
        column(c)
    return guards


def _guards(definition: Any) -> tuple[Any, ...]:
    """A field's permissions, when checking them is all its extensions do."""
    guards: list[Any] = []
    for extension in definition.extensions:
        if type(extension) is not PermissionExtension or extension.fail_silently:
            raise NotLearned
        guards.extend(extension.permissions)
    if not all(getattr(g, "viewer_alone", False) for g in guards):
        raise NotLearned  # it may read more of its Info than the viewer: the resolvers'
    return tuple(guards)


def _keys(wanted: list[tuple[str, str, Any, Any]], made: Plan) -> Iterator[Key]:
    for key, kind, what, output in wanted:
        if kind == "typename":
            yield Key(key, constant=what)
        elif kind == "relation":
            single = made.children[what].relation.by is not None  # type: ignore[union-attr]
            yield Key(key, nested=what, single=single)
        elif kind == "object":
            yield Key(key, fields=tuple(_keys(what, made)))
        else:
            leaf, guard = (what[0], Guard(*what[1:])) if kind == "guarded" else (what, None)
            non_null = isinstance(output, GraphQLNonNull)
            scalar = output.of_type if non_null else output
            if isinstance(scalar, GraphQLList | GraphQLNonNull) or (guard and non_null):
                raise NotLearned
            positions = tuple(made.position(c) for c in leaf.columns)
            yield Key(
                key,
                None,
                positions,
                leaf.make,
                non_null,
                scalar,
                guard=guard,
                per_viewer=leaf.per_viewer,
            )


_BUILDERS: dict[tuple[Key, ...], Any] = {}
MAX_BUILDERS = 2048


def builder(keys: tuple[Key, ...]) -> Callable[..., list[dict[str, Any]]]:
    """A function making the response objects of rows for these keys, compiled once per
    selection and kept. Its source holds only generated names and column positions: the
    response keys (the client's aliases) and the values it calls are bound as names."""
    found = _BUILDERS.get(keys)
    if found is not None:
        return found  # type: ignore[no-any-return]
    names: dict[str, Any] = {"Wrong": Wrong, "U": Undefined, "refused": _refused}
    head: list[str] = []
    body: list[str] = []
    shape = _emit(keys, "", names, head, body)
    source = "\n".join(
        [
            "def build(rows, nested, context, refused=()):",
            *head,
            "    out = []",
            "    append = out.append",
            "    for p, r in enumerate(rows):",
            *body,
            f"        append({shape})",
            "    return out",
        ]
    )
    exec(compile(source, "<bitcart compiled rows>", "exec"), names)  # noqa: S102 - generated, no input
    if len(_BUILDERS) >= MAX_BUILDERS:
        _BUILDERS.clear()
    _BUILDERS[keys] = built = names["build"]
    return built  # type: ignore[no-any-return]


def _emit(
    keys: tuple[Key, ...], path: str, names: dict[str, Any], head: list[str], body: list[str]
) -> str:
    """The dict display of one object's keys; the statements its values need go to `body`
    (per row) and `head` (once). Names carry the key's path: `_0_3` is key 3 of key 0."""
    entries: list[str] = []
    for i, key in enumerate(keys):
        tag = f"{path}_{i}"
        names[f"K{tag}"] = key.name
        if key.constant is not None:
            names[f"T{tag}"] = key.constant
            entries.append(f"K{tag}: T{tag}")
            continue
        if key.nested is not None:
            head.append(f"    N{key.nested} = nested[{key.nested}]")
            got = f"N{key.nested}[p]"
            entries.append(
                f"K{tag}: ({got}[0] if {got} else None)" if key.single else f"K{tag}: {got}"
            )
            continue
        if key.fields is not None:
            entries.append(f"K{tag}: " + _emit(key.fields, tag, names, head, body))
            continue
        columns = ", ".join(f"r[{at}]" for at in key.positions)
        if key.make is None:
            value = columns
        else:
            names[f"M{tag}"] = key.make
            value = f"M{tag}(context, {columns})" if key.per_viewer else f"M{tag}({columns})"
        names[f"C{tag}"] = key.scalar.coerce_output_value
        plain = _PLAIN.get(key.scalar)
        members = _members(key.scalar)
        if members is not None:  # an enum: its member's name, as Strawberry's coercion finds it
            names[f"E{tag}"] = members
        # graphql-core's coercion; a value it refuses, or turns into nothing, is its error
        # to make (an exception here: `completed` hands the field back to graphql-core)
        made = f"(t if (t := C{tag}(v{tag})) is not None and t is not U else refused())"
        if members is not None:
            made = f"(n if (n := E{tag}.get(v{tag}, U)) is not U else {made})"
        elif plain is not None:
            made = f"(v{tag} if {plain.format(v=f'v{tag}')} else {made})"
        if key.guard is not None:  # null when refused (`completed` adds the errors)
            head.append(f"    G{tag} = K{tag} in refused")
            value = f"(None if G{tag} else {value})"
        body.append(f"        v{tag} = {value}")
        if key.non_null:
            body.append(f"        if v{tag} is None: raise Wrong")
            entries.append(f"K{tag}: {made}")
        else:
            entries.append(f"K{tag}: (None if v{tag} is None else {made})")
    return "{" + ", ".join(entries) + "}"


def _members(scalar: Any) -> dict[Any, str] | None:
    """A Strawberry enum's members by their names in the schema (the first name of a value,
    as CustomGraphQLEnumType.coerce_output_value looks it up); None for other leaves."""
    wrapped = getattr(scalar, "wrapped_cls", None)
    if not isinstance(scalar, GraphQLEnumType) or wrapped is None:
        return None
    found: dict[Any, str] = {}
    for member in wrapped:
        for name, value in scalar.values.items():
            if member.value == value.value:
                found.setdefault(member, name)
                break
    return found


def _refused() -> Any:
    raise Wrong


async def _rows(relation: Relation, columns: list[str], keys: list[Any]) -> list[Sequence[Any]]:
    return await select_rows(
        relation.table.model, columns, [(relation.foreign_key, "in", keys)], by_id=True
    )


async def run(
    made: Plan,
    parents: list[tuple[Any, list[Any]]],
    context: Any,
    execution: Any = None,
    paths: Callable[[], list[Any]] | None = None,
) -> list[list[dict[str, Any]]]:
    """Each parent's completed list. A parent is (its id, the values its rows inherit);
    `paths`, when known, the parents' response paths (for a guarded leaf's errors)."""
    relation = made.relation
    if not parents or relation is None:
        return []
    if made.shape is not None:
        return await _run_paged(made, parents, context)
    keys = [k for k in dict.fromkeys(p[0] for p in parents) if k is not None]
    rows = await _rows(relation, made.columns, keys) if keys else []
    grouped: dict[Any, list[Sequence[Any]]] = {}
    at_key = 0 if relation.by is not None else 1  # the row's id, or its foreign key
    for row in rows:
        grouped.setdefault(row[at_key], []).append(row)
    flat: list[Sequence[Any]] = []
    counts: list[int] = []
    for key, inherited in parents:
        mine = grouped.get(key, [])[: relation.limit]
        flat.extend([[*row, *inherited] for row in mine] if inherited else mine)
        counts.append(len(mine))
    built = await completed(made, flat, context, execution, _listed(paths, made.key, counts))
    out: list[list[dict[str, Any]]] = []
    at = 0
    for count in counts:
        out.append(built[at : at + count])
        at += count
    return out


def _listed(
    paths: Callable[[], list[Any]] | None, key: str, counts: list[int]
) -> Callable[[], list[Any]] | None:
    """The paths of a list relation's rows: each parent's, its key, the row's index."""
    if paths is None:
        return None
    return lambda: [
        path.add_key(key).add_key(i)
        for path, count in zip(paths(), counts, strict=True)
        for i in range(count)
    ]


@dataclass(frozen=True, slots=True)
class _Keyed:
    """A row as page_in_memory pages it: by its id."""

    pk: int
    row: Sequence[Any]


async def _run_paged(made: Plan, parents: list[tuple[Any, list[Any]]], context: Any) -> list[Any]:
    """Each parent's connection: all its visible child rows in one statement, paged in
    memory with this request's `first`/`after` exactly as the resolver pages them."""
    relation, arguments = made.relation, made.arguments
    assert relation is not None
    assert arguments is not None
    assert made.shape is not None
    try:
        asked = get_argument_values(arguments[0], arguments[1], context.execution.variable_values)
    except Exception as exc:  # graphql-core reports it, with its path
        raise Wrong from exc
    keys = [k for k in dict.fromkeys(p[0] for p in parents) if k is not None]
    where: list[tuple[str, str, Any]] = [(relation.foreign_key, "in", keys)]
    hidden = relation.hidden(context) if relation.hidden is not None else None
    if hidden is not None:
        where.append((hidden[0], "=", hidden[1]))
    rows = await select_rows(relation.table.model, made.columns, where, by_id=True) if keys else []
    grouped: dict[Any, list[_Keyed]] = {}
    for row in rows:
        grouped.setdefault(row[1], []).append(_Keyed(row[0], row))
    pages = []
    for key, inherited in parents:
        mine = grouped.get(key, [])
        if inherited:
            mine = [_Keyed(k.pk, [*k.row, *inherited]) for k in mine]
        try:
            page = page_in_memory(cast(Any, mine), asked.get("first"), asked.get("after"))
            pages.append((page, len(mine)))
        except DomainError as exc:  # a bad cursor or size: the resolver's error to give
            raise Wrong from exc
    built = await completed(made, [k.row for page, _ in pages for k in page.items], context)
    out: list[Any] = []
    at = 0
    for page, total in pages:
        nodes = built[at : at + len(page.items)]
        at += len(page.items)
        out.append(_connection(made.shape, page, total, nodes))
    return out


def _connection(
    shape: list[tuple[str, str, Any]], page: Any, total: int, nodes: list[dict[str, Any]]
) -> dict[str, Any]:
    """A connection's response object, as `connection()` and graphql-core make it."""
    info = {
        "hasNextPage": page.has_next_page,
        "hasPreviousPage": page.has_previous_page,
        "startCursor": page.cursors[0] if page.cursors else None,
        "endCursor": page.cursors[-1] if page.cursors else None,
    }
    out: dict[str, Any] = {}
    for key, kind, what in shape:
        if kind == "__typename":
            out[key] = what
        elif kind == "totalCount":
            out[key] = total
        elif kind == "pageInfo":
            out[key] = {k: t if n == "__typename" else info[n] for k, n, t in what}
        else:
            out[key] = [
                {
                    k: t if n == "__typename" else cursor if n == "cursor" else node
                    for k, n, t in what
                }
                for cursor, node in zip(page.cursors, nodes, strict=True)
            ]
    return out


async def completed(
    made: Plan,
    rows: list[Sequence[Any]],
    context: Any,
    execution: Any = None,
    paths: Callable[[], list[Any]] | None = None,
) -> list[dict[str, Any]]:
    """The response objects of rows read for `made`: their relations first, one statement
    each for all the rows, then the generated builder. A guarded leaf this viewer may not
    see is null, with its permission's error at each row's path (`paths`, given by the fast
    path for a root's rows) in `execution`'s errors, in the order graphql-core adds them."""
    refused = [
        (key, permission)
        for key in made.keys
        if key.guard is not None and (permission := key.guard.refused(context)) is not None
    ]
    added: list[tuple[GraphQLError, Any]] = []
    if refused:
        if paths is None or execution is None:
            raise Wrong
        # now, before the relations are awaited: graphql-core adds these errors as it
        # starts on the objects, and another root field's errors may come after them
        added = [
            _refusal(key, permission, path.add_key(key.name, made.type_name))
            for path in paths()
            for key, permission in refused
        ]
        for error, path in added:
            execution.collected_errors.add(error, path)
    try:
        refusing = frozenset(k.name for k, _ in refused)
        return await _built(made, rows, context, refusing, execution, paths)
    except Wrong:
        # graphql-core completes the field from the start, errors and all
        internals.withdraw_errors(execution, added)
        raise


async def _built(
    made: Plan,
    rows: list[Sequence[Any]],
    context: Any,
    refused: frozenset[str],
    execution: Any,
    paths: Callable[[], list[Any]] | None,
) -> list[dict[str, Any]]:
    nested: dict[int, list[Any]] = {}
    for index, child in made.children.items():
        pick = [made.position(c) for c in child.inherited]
        by = None if child.relation is None else child.relation.by
        at = 0 if by is None else made.position(by)
        parents = [(r[at], [r[i] for i in pick]) for r in rows]
        nested[index] = await run(child, parents, context, execution, paths)
    try:
        return made.build(rows, nested, context, refused)
    except Wrong:
        raise
    except Exception as exc:  # a value the resolvers would fail on: graphql-core says how
        raise Wrong from exc


def _refusal(key: Key, permission: Any, path: Any) -> tuple[GraphQLError, Any]:
    """The error the permission raises, located at `path` as graphql-core locates it."""
    assert key.guard is not None
    try:
        permission.on_unauthorized()
    except Exception as exc:  # what it raises is the error, whatever its class
        nodes = [d.node for d in key.guard.details]
        return located_error(exc, nodes, path.as_list()), path
    raise Wrong  # a permission that lets a refusal pass silently is not learned


# Roots whose resolvers read rows when the selection below them is learned: the order
# list's nodes (`orders { edges { node } }`) and one order (`order`).


@dataclass(frozen=True, slots=True)
class RowNode:
    """An object a root resolver read as a row for `plan`: completed by the plan alone."""

    row: Sequence[Any]
    plan: Plan


def root_details(info: Any) -> tuple[Any, Any] | None:
    """The fast path's execution context and the root field's selection, when this field
    is a root field of a query it runs (None under graphql-core alone)."""
    execution = getattr(info.context, "execution", None)
    path = info.path
    if execution is None or path.prev is not None:
        return None
    details = execution.root_details.get(path.key)
    return None if details is None else (execution, details)


def _only(execution: Any, type_: GraphQLObjectType, details: Any, name: str) -> Any:
    """The one field `name` selected on `type_` (its details), None when not selected;
    NotLearned when it is selected under two keys or with fragment variables."""
    found = [
        fd
        for fd in internals.collect_subfields(execution, type_, details).grouped_field_set.values()
        if fd[0].node.name.value == name
    ]
    if len(found) > 1 or any(d.fragment_variable_values is not None for f in found for d in f):
        raise NotLearned
    return found[0] if found else None


def _root_type(execution: Any, details: Any) -> Any:
    """The object type a query's root field returns (its list's or non-null's type)."""
    return get_named_type(execution.schema.query_type.fields[details[0].node.name.value].type)


def node_plan(info: Any, table: Table) -> Plan | None:
    """The plan for a connection's `edges { node }`, if the fast path runs and the node's
    selection is all learned."""
    found = root_details(info)
    if found is None:
        return None
    execution, details = found
    try:
        connection = _root_type(execution, details)
        edges = _only(execution, connection, details, "edges")
        if edges is None:
            return None
        edge = get_named_type(connection.fields["edges"].type)
        node = _only(execution, edge, edges, "node")
        if node is None:
            return None
        return rows_plan(execution, table, get_named_type(edge.fields["node"].type), node)
    except NotLearned:
        return None


def object_plan(info: Any, table: Table) -> Plan | None:
    """The plan for a root field's object, if the fast path runs and it is all learned."""
    found = root_details(info)
    if found is None:
        return None
    execution, details = found
    try:
        return rows_plan(execution, table, _root_type(execution, details), details)
    except NotLearned:
        return None


async def materialized(result: Any, context: Any) -> Any:
    """`result` with its RowNodes made into the resolvers' objects again (models loaded in
    one statement): for graphql-core, when the fast path hands a root field back to it."""
    nodes: list[RowNode] = []
    if isinstance(result, RowNode):
        nodes = [result]
    else:
        nodes = [e.node for e in getattr(result, "edges", ()) if isinstance(e.node, RowNode)]
    if not nodes:
        return result
    table = nodes[0].plan.table
    assert table is not None  # a root's plan has its table, and the table its build
    build = table.build
    assert build is not None
    found = {m.pk: m for m in await table.model.filter(pk__in=[n.row[0] for n in nodes])}

    def made(node: RowNode) -> Any:
        loaded = found.get(node.row[0])
        return None if loaded is None else build(loaded, context)

    if isinstance(result, RowNode):
        return made(result)
    for edge in result.edges:
        if isinstance(edge.node, RowNode):
            edge.node = made(edge.node)
    return result
