"""Gongwen services."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
