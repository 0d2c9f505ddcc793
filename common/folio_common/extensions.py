"""Extension singletons shared by the web app and the worker, bound to an app in the factories."""

from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from folio_common.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cache = Cache()
