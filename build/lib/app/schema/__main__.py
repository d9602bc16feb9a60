"""Print the schema: `python -m app.schema > schema.graphql`."""

from app.schema import schema

print(schema.as_str())
