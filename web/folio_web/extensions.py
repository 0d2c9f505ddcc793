"""Extension singletons of the web app; the shared ones (db, cache, queue) live in folio_common."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

csrf = CSRFProtect()

# Storage and switches come from app config (RATELIMIT_*); limits are declared on the views.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
