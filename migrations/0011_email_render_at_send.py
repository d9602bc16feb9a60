from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

# A customer email is rendered by the worker that sends it, from what its event said when it
# was dispatched (kept here until then), rather than inside the dispatch: emails already
# written were rendered then and keep their text (null: nothing left to render).


class Migration(migrations.Migration):
    dependencies = [('models', '0010_refund_requests_documents')]

    initial = False

    operations = [
        ops.AddField(
            model_name='EmailMessage',
            name='context',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
