"""Local development: the base settings with DEBUG on unless the environment says otherwise.

manage.py defaults to this module; wsgi/asgi/celery default to config.settings.base, which
production uses (and which refuses to start without SECRET_KEY when DEBUG is off).
"""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: F403
