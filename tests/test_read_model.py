"""One read model (app/read_model.py): the Strawberry types, the compiled plans, the webhook
snapshots and the export columns declare no field of an order the others do not know, and
a staff-only field (R1) is guarded on every path that could show it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from app import read_model
from app.schema import compiled, schema
from app.schema.permissions import StaffOnly
from app.services import exports, snapshots

TYPES: dict[str, GraphQLObjectType] = {
    name: t for name, t in schema._schema.type_map.items() if isinstance(t, GraphQLObjectType)
}
# The read model's entities by the GraphQL type that shows them.
ENTITIES = {entity.type_name: entity for entity in read_model.ENTITIES}


def _permissions(type_name: str, field_name: str) -> list[Any]:
    definition = (
        TYPES[type_name].fields[field_name].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    )
    return [
        type(p)
        for extension in definition.extensions
        if isinstance(extension, PermissionExtension)
        for p in extension.permissions
    ]


@pytest.mark.parametrize("entity", read_model.ENTITIES, ids=lambda e: e.type_name)
def test_every_field_of_the_read_model_is_one_of_its_types(entity: read_model.Entity) -> None:
    fields = TYPES[entity.type_name].fields
    missing = sorted(set(entity.fields) - set(fields))
    assert not missing, f"{entity.type_name}: in app/read_model.py, not in the schema: {missing}"
    for name, inner in entity.objects.items():
        assert name in fields, f"{entity.type_name}.{name}: not in the schema"
        assert set(inner.fields) <= set(TYPES[inner.type_name].fields)


def _one_sided(type_name: str, table: compiled.Table) -> tuple[set[str], set[str]]:
    """The fields of a compiled type only on the Strawberry type (neither a leaf, relation
    or object of the plans nor left to the resolvers), and those only in the plans."""
    known = set(table.leaves) | set(table.relations) | set(table.objects)
    fields = set(TYPES[type_name].fields) - compiled.LEFT_TO_RESOLVERS.get(type_name, frozenset())
    return fields - known, known - fields


@pytest.mark.parametrize("type_name", sorted(compiled.TABLES))
def test_the_compiled_plans_know_every_field_of_their_types(type_name: str) -> None:
    """A field declared on the type but on neither the read model (the plans' leaves) nor
    the plans' relations and objects is named here: declare it in app/read_model.py, or
    list it in compiled.LEFT_TO_RESOLVERS."""
    table = compiled.TABLES[type_name]
    left = compiled.LEFT_TO_RESOLVERS.get(type_name, frozenset())
    assert not (set(table.leaves) | set(table.relations)) & left, type_name
    only_type, only_plans = _one_sided(type_name, table)
    assert not only_type, f"{type_name}: only on the Strawberry type: {sorted(only_type)}"
    assert not only_plans, f"{type_name}: only in the compiled plans: {sorted(only_plans)}"
    entity = ENTITIES.get(type_name)
    if entity is not None:  # the plans read the read model's own declarations
        assert dict(table.leaves) == entity.fields
        assert set(table.objects) == set(entity.objects)


def test_a_field_on_one_path_only_is_caught() -> None:
    """The check above names a field the type has and the plans do not (a new field
    declared on the type alone), and one the plans have and the type does not."""
    table = compiled.TABLES["Order"]
    fewer = dict(table.leaves)
    del fewer["carrierName"]
    assert _one_sided("Order", replace(table, leaves=fewer)) == ({"carrierName"}, set())
    more = {**table.leaves, "secret": read_model.Field(("staff_notes",))}
    assert _one_sided("Order", replace(table, leaves=more)) == (set(), {"secret"})


def test_staff_only_fields_are_guarded_on_every_path() -> None:
    """R1: a staff-only field has the StaffOnly permission on its type (null with FORBIDDEN
    for anyone else, on both execution paths), is a guarded leaf of the compiled plans, and
    cannot be picked for a webhook or an export."""
    staff_only = [
        (entity, name)
        for entity in read_model.ENTITIES
        for name, f in entity.fields.items()
        if f.staff_only
    ]
    assert {(e.type_name, n) for e, n in staff_only} >= {
        ("Order", "staffNotes"),
        ("Refund", "reason"),
    }
    for entity, name in staff_only:
        assert StaffOnly in _permissions(entity.type_name, name), (entity.type_name, name)
        table = compiled.TABLES.get(entity.type_name)
        assert table is None or table.leaves[name].staff_only
        with pytest.raises(ValueError, match="not for every reader"):
            entity.pick(name)
    # and the other way: every field the schema guards with StaffOnly on these types is
    # staff only in the read model, so the plans guard it too
    for type_name, table in compiled.TABLES.items():
        for name in TYPES[type_name].fields:
            if StaffOnly in _permissions(type_name, name):
                assert table.leaves[name].staff_only, (type_name, name)


def test_webhooks_and_exports_carry_only_fields_for_every_reader() -> None:
    picked = [
        value for value in vars(snapshots).values() if isinstance(value, read_model.Picked)
    ] + [value for value in vars(exports).values() if isinstance(value, read_model.Picked)]
    assert len(picked) > 10
    for choice in picked:
        for name, f in choice.fields:
            assert not f.staff_only, (choice.entity.type_name, name)
            assert not f.per_viewer, (choice.entity.type_name, name)
    assert "staff_notes" not in exports.ORDER_FIELDS
    assert not any("note" in column for column in exports.ORDER_COLUMNS)


def test_python_names_are_strawberrys_own() -> None:
    """Entity.values names a field as Strawberry's Python attribute (camel-cased back to
    the GraphQL name), so a type's plain fields are made by the read model alone."""
    from strawberry.utils.str_converters import to_camel_case

    for entity in read_model.ENTITIES:
        for name in entity.fields:
            assert to_camel_case(read_model._python_name(name)) == name
