from app.db import tortoise_config
from app.settings import load_settings

TORTOISE_ORM = tortoise_config(load_settings())
