"""A text longer than its column matches no row: a lookup's value is not held to the column's
length, as a value being saved is.

Tortoise checks a filter's value with the field's validators, so a lookup by a text longer than
the column (`Product.filter(sku=<300 characters>)`) raised ValidationError: an "Unexpected
error", with the whole text in the log, from product(sku:), login(email:), the orders' email
filter, adjustStock and updateProduct, guests included. A lookup is given the model class;
a save its instance and a queryset update None, and those are still checked.
"""

from __future__ import annotations

from typing import Any

from tortoise.fields import CharField
from tortoise.fields.base import Field


def _to_db_value(self: CharField[Any], value: Any, instance: Any) -> Any:
    if isinstance(instance, type) and value is not None:  # a filter's value: nothing is stored
        return value if isinstance(value, str) else str(value)
    return Field.to_db_value(self, value, instance)


CharField.to_db_value = _to_db_value  # type: ignore[method-assign,assignment]
