from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops

# Products on sale: storefronts list active ones only. console-b adds the same field in its
# own 0009; whichever branch lands second drops this file and re-points 0010 at the other.


class Migration(migrations.Migration):
    dependencies = [('models', '0008_search_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Product',
            name='active',
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
